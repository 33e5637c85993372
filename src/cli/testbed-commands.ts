import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { csvLines } from '../io/csv-write.js';
import { capacityFileOf } from '../profiles/capacity-data.js';
import { formatProfileCsv } from '../profiles/table-model.js';
import { CNN_VARIANTS, TINY_VARIANT, writeModel, type CnnVariant } from '../testbed/onnx-model.js';
import { profileModels } from '../testbed/profiler.js';
import { parseSeed } from './flags.js';
import { startActivity } from './progress.js';

const ALL = [...CNN_VARIANTS, TINY_VARIANT];

function variantsNamed(list: string | undefined): CnnVariant[] {
  if (list === undefined) return CNN_VARIANTS;
  return list.split(',').map((name) => {
    const variant = ALL.find((v) => v.name === name.trim());
    if (variant === undefined) throw new InputError(`--variants: unknown variant "${name}" (expected ${ALL.map((v) => v.name).join(', ')})`);
    return variant;
  });
}

function numbers(flag: string, text: string): number[] {
  const values = text.split(',').map((t) => Number(t.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 1)) throw new InputError(`${flag}: expected positive integers separated by commas, got "${text}"`);
  return values;
}

/** `servesim build-models`: writes the ONNX variants (deterministic random weights) into a folder. */
export function buildModelsCommand(flags: { out: string; variants?: string; quiet?: boolean }): void {
  for (const variant of variantsNamed(flags.variants)) {
    const path = writeModel(variant, flags.out);
    if (!flags.quiet) process.stdout.write(`${path}\n`);
  }
}

/**
 * P99 SLOs (ms) `servesim profile` writes capacity data at unless told: 100 ms, the SLO of the
 * testbed's InfAdapter example (experiments/testbed/infadapter-cnn.json).
 */
const DEFAULT_CAPACITY_SLOS_MS = '100';

/**
 * `servesim profile`: measures every (variant, cores, batch) and writes a profile CSV `servesim run`
 * can use, then its capacity data (the profile's name with `.capacity.csv`), found by simulating
 * one pod from the profile at each SLO of `capacitySloMs`.
 */
export async function profileCommand(flags: {
  models: string;
  variants?: string;
  batches: string;
  cores: string;
  runs: string;
  capacitySloMs?: string;
  out: string;
  quiet?: boolean;
}): Promise<void> {
  const models = variantsNamed(flags.variants).map((variant) => {
    const path = join(flags.models, `${variant.name}.onnx`);
    if (!existsSync(path)) throw new InputError(`${path}: no such model; run \`servesim build-models --out ${flags.models}\` first`);
    return { variant, path };
  });
  const [runs] = numbers('--runs', flags.runs);
  const slosMs = numbers('--capacity-slo-ms', flags.capacitySloMs ?? DEFAULT_CAPACITY_SLOS_MS);
  const activity = flags.quiet ? null : await startActivity('profiling');
  const points = await profileModels(models, {
    batches: numbers('--batches', flags.batches),
    cores: numbers('--cores', flags.cores),
    runs,
    warmup: Math.max(3, Math.round(runs / 10)),
    onProgress: activity?.update,
  });
  writeFileAtomic(flags.out, formatProfileCsv(points));
  const { writeProfileCapacity } = await import('../experiment/capacity.js');
  const capacity = await writeProfileCapacity(flags.out, slosMs, { onProgress: activity === null ? undefined : (status) => activity.update(`capacity of ${status}`) });
  activity?.stop();
  if (flags.quiet) return;
  for (const p of points) {
    process.stdout.write(`${p.variant.padEnd(8)} ${String(p.cores).padStart(2)} cores  batch ${String(p.batch).padStart(2)}  mean ${(p.mean * 1000).toFixed(2).padStart(8)} ms  p99 ${(p.p99 * 1000).toFixed(2).padStart(8)} ms\n`);
  }
  for (const c of capacity) {
    process.stdout.write(`${c.variant.padEnd(8)} ${String(c.cores).padStart(2)} cores  capacity ${c.capacityRps.toFixed(2).padStart(9)} requests/s within a ${c.sloMs} ms P99\n`);
  }
  process.stdout.write(`profile written to ${flags.out}, its capacity data to ${capacityFileOf(flags.out)}\n`);
}

/** `servesim validate`: steady-state configurations run for real and simulated; writes validation.csv. */
export async function validateCommand(flags: { quick?: boolean; models: string; out: string; seed: string; quiet?: boolean }): Promise<void> {
  const { validateAutoscaling, validateConfig, validateInfAdapter, validationCells, VALIDATION_HEADER } = await import('../experiment/validate.js');
  const seed = parseSeed(flags.seed);
  const small = CNN_VARIANTS.find((v) => v.name === 'cnn-s') as CnnVariant;
  const medium = CNN_VARIANTS.find((v) => v.name === 'cnn-m') as CnnVariant;
  const duration = flags.quick ? 8 : 60;
  const configs = [
    ...(flags.quick ? [0.3, 0.8] : [0.3, 0.6, 0.8]).map((u) => ({ name: `cnn-s-1core-u${u}`, variant: small, cores: 1, utilisation: u, durationSeconds: duration })),
    ...(flags.quick ? [] : [0.3, 0.6, 0.8].map((u) => ({ name: `cnn-m-1core-u${u}`, variant: medium, cores: 1, utilisation: u, durationSeconds: duration }))),
  ];
  const rows = [];
  const latencies = [];
  const activity = flags.quiet ? null : await startActivity('validating');
  for (const config of configs) {
    activity?.update(`${config.name} (${config.durationSeconds} s of load)`);
    const result = await validateConfig(config, flags.models, seed);
    rows.push(...result.rows);
    latencies.push(result.latencies);
  }
  activity?.update(`HPA on a Twitter burst (${flags.quick ? 30 : 120} s, real and simulated)`);
  const autoscaling = await validateAutoscaling(small, flags.models, seed, flags.quick ? 30 : 120);
  if (!flags.quick) {
    activity?.update('InfAdapter over cnn-s, cnn-m and cnn-l on a Twitter burst (150 s, real and simulated)');
    const variants = await validateInfAdapter(flags.models, seed);
    rows.push(...variants.rows);
    latencies.push(variants.latencies);
  }
  rows.push(...autoscaling.rows);
  activity?.stop();
  mkdirSync(flags.out, { recursive: true });
  writeFileAtomic(join(flags.out, 'validation.csv'), csvLines([VALIDATION_HEADER, ...rows.map(validationCells)]));
  const { latencyCdfChart, replicaChart } = await import('../report/validation-charts.js');
  const { renderChart } = await import('../report/render.js');
  await renderChart(latencyCdfChart(latencies, 'End-to-end latency, simulated (dashed) and real (solid)'), join(flags.out, 'latency-cdf'));
  await renderChart(replicaChart(autoscaling.replicas, 'HPA replicas through the Twitter burst, simulated and real'), join(flags.out, 'replicas'));
  if (flags.quiet) return;
  for (const r of rows) process.stdout.write(`${r.config.padEnd(20)} ${r.metric.padEnd(15)} sim ${r.sim.toFixed(2).padStart(9)}  real ${r.real.toFixed(2).padStart(9)}  error ${r.errorPct.toFixed(1).padStart(6)}%\n`);
  process.stdout.write(`results in ${join(flags.out, 'validation.csv')}\n`);
}

/** `servesim testbed run SPEC`: the spec on real model servers; writes summary.json and timeseries.csv like `servesim run`. */
export async function testbedRunCommand(specFile: string, flags: { out?: string; models: string; seed?: string; set: string[]; quiet?: boolean }): Promise<void> {
  const { loadSpec } = await import('../experiment/load-spec.js');
  const { testbedRun } = await import('../experiment/testbed-run.js');
  const { checkDataFiles, resolveDataFile, resolveModuleFile } = await import('./paths.js');
  const { formatWindowRow, TIMESERIES_HEADER } = await import('../metrics/timeseries.js');
  const seed = flags.seed === undefined ? undefined : parseSeed(flags.seed);
  const spec = loadSpec(specFile, flags.set, seed);
  if (spec.workload.trace) checkDataFiles(spec, specFile);
  const { summary, rows } = await testbedRun(spec, flags.models, (file) => resolveDataFile(file, specFile), (file) => resolveModuleFile(file, specFile));
  const out = flags.out ?? join('runs', 'testbed', spec.name);
  mkdirSync(out, { recursive: true });
  writeFileAtomic(join(out, 'timeseries.csv'), TIMESERIES_HEADER + rows.map(formatWindowRow).join(''));
  writeFileAtomic(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  if (flags.quiet) return;
  const l = summary.latencyMs;
  process.stdout.write(
    `${summary.name} on real servers: ${summary.requests} requests, ${summary.completed} completed, ${summary.dropped} dropped\n` +
      `  latency ms  mean ${l.mean?.toFixed(2)}  p50 ${l.p50?.toFixed(2)}  p99 ${l.p99?.toFixed(2)}\n  results in ${out}/\n`,
  );
}
