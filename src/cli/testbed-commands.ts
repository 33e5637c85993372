import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { csvLines } from '../io/csv-write.js';
import { writeResultFolder, type FolderLayout } from '../io/result-folder.js';
import { capacityFileOf } from '../profiles/capacity-data.js';
import { formatProfileCsv } from '../profiles/table-model.js';
import { DEFAULT_MAX_FAILED_SHARE, failureVerdict } from '../testbed/failure-threshold.js';
import { DEFAULT_MAX_SERVERS } from '../testbed/server-slots.js';
import { checkModelFile, CNN_VARIANTS, TINY_VARIANT, writeModel, type CnnVariant } from '../testbed/onnx-model.js';
import { profileModels } from '../testbed/profiler.js';
import type { LatencySamples, RealRequests, ValidationRow } from '../experiment/validate.js';
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

/** The testbed commands' defaults, for their flags' help (each with its source where it is defined). */
export { DEFAULT_MAX_FAILED_SHARE, DEFAULT_MAX_SERVERS };

/**
 * Exit status of a real run that finished but failed more than its threshold of requests (k6 has
 * one of its own for a failed threshold, too); its results are written all the same.
 */
export const EXIT_TOO_MANY_FAILED = 3;

/** validate's folder: validation.csv (its marker) and the two charts, each as SVG and PNG. */
const VALIDATION_FOLDER: FolderLayout = {
  marker: 'validation.csv',
  isResult: (name, isDirectory) => !isDirectory && /^(validation\.csv|(latency-cdf|replicas)\.(svg|png))$/.test(name),
};

/** `--max-failed-share`: a fraction in [0, 1]. */
function parseShare(flag: string, text: string): number {
  const share = Number(text);
  if (text.trim() === '' || !Number.isFinite(share) || share < 0 || share > 1) throw new InputError(`${flag}: expected a fraction between 0 and 1, got "${text}"`);
  return share;
}

/** A figure for the terminal: "-" where there is none, as `servesim run` prints it. */
const show = (value: number | null | undefined, digits = 2) => (value === null || value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits));

const percent = (share: number) => `${(share * 100).toFixed(2)}%`;

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
    checkModelFile(path);
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

/**
 * `servesim validate`: steady-state configurations run for real and simulated; writes validation.csv.
 * Exits with EXIT_TOO_MANY_FAILED, after writing its results, when a real part failed more than
 * `--max-failed-share` of its requests: its figures would compare the simulator with a broken run.
 */
export async function validateCommand(flags: { quick?: boolean; models: string; out: string; seed: string; maxFailedShare: string; quiet?: boolean }): Promise<void> {
  const { validateAutoscaling, validateConfig, validateInfAdapter, validateSponge, validationCells, VALIDATION_HEADER } = await import('../experiment/validate.js');
  const seed = parseSeed(flags.seed);
  const maxFailedShare = parseShare('--max-failed-share', flags.maxFailedShare);
  const small = CNN_VARIANTS.find((v) => v.name === 'cnn-s') as CnnVariant;
  const medium = CNN_VARIANTS.find((v) => v.name === 'cnn-m') as CnnVariant;
  const duration = flags.quick ? 8 : 60;
  const configs = [
    ...(flags.quick ? [0.3, 0.8] : [0.3, 0.6, 0.8]).map((u) => ({ name: `cnn-s-1core-u${u}`, variant: small, cores: 1, utilisation: u, durationSeconds: duration })),
    ...(flags.quick ? [] : [0.3, 0.6, 0.8].map((u) => ({ name: `cnn-m-1core-u${u}`, variant: medium, cores: 1, utilisation: u, durationSeconds: duration }))),
  ];
  const rows: ValidationRow[] = [];
  const latencies: LatencySamples[] = [];
  const real: RealRequests[] = [];
  const activity = flags.quiet ? null : await startActivity('validating');
  // Locked for the whole run; validation.csv, its marker, goes in last, after the charts.
  await writeResultFolder(flags.out, VALIDATION_FOLDER, async (dir) => {
    for (const config of configs) {
      activity?.update(`${config.name} (${config.durationSeconds} s of load)`);
      const result = await validateConfig(config, flags.models, seed);
      rows.push(...result.rows);
      latencies.push(result.latencies);
      real.push(result.real);
    }
    activity?.update(`HPA on a Twitter burst (${flags.quick ? 30 : 120} s, real and simulated)`);
    const autoscaling = await validateAutoscaling(small, flags.models, seed, flags.quick ? 30 : 120);
    real.push(autoscaling.real);
    if (!flags.quick) {
      activity?.update('InfAdapter over cnn-s, cnn-m and cnn-l on a Twitter burst (150 s, real and simulated)');
      const variants = await validateInfAdapter(flags.models, seed);
      rows.push(...variants.rows);
      latencies.push(variants.latencies);
      real.push(variants.real);
      activity?.update('Sponge resizing cnn-m in place under steps of load, images over a 4G uplink (60 s, real and simulated)');
      const inPlace = await validateSponge(flags.models, seed);
      rows.push(...inPlace.rows);
      latencies.push(inPlace.latencies);
      real.push(inPlace.real);
    }
    rows.push(...autoscaling.rows);
    activity?.stop();
    const { latencyCdfChart, replicaChart } = await import('../report/validation-charts.js');
    const { renderChart } = await import('../report/render.js');
    await renderChart(latencyCdfChart(latencies, 'End-to-end latency, simulated (dashed) and real (solid)'), join(dir, 'latency-cdf'));
    await renderChart(replicaChart(autoscaling.replicas, 'HPA replicas through the Twitter burst, simulated and real'), join(dir, 'replicas'));
    writeFileAtomic(join(dir, 'validation.csv'), csvLines([VALIDATION_HEADER, ...rows.map(validationCells)]));
  }).finally(() => activity?.stop());
  if (!flags.quiet) {
    for (const r of rows) process.stdout.write(`${r.config.padEnd(20)} ${r.metric.padEnd(15)} sim ${show(r.sim).padStart(9)}  real ${show(r.real).padStart(9)}  error ${show(r.errorPct, 1).padStart(6)}%\n`);
    process.stdout.write(`results in ${join(flags.out, 'validation.csv')}\n`);
  }
  const failed = real.filter((r) => !failureVerdict(r.requests, r.failed, maxFailedShare).passed);
  if (failed.length > 0) {
    const parts = failed.map((r) => `${r.config} ${r.failed} of ${r.requests} (${percent(failureVerdict(r.requests, r.failed, maxFailedShare).failedShare)})`);
    process.stderr.write(`servesim: validate: real requests failed above the ${percent(maxFailedShare)} threshold (--max-failed-share): ${parts.join('; ')}\n`);
    process.exitCode = EXIT_TOO_MANY_FAILED;
  }
}

/**
 * `servesim testbed run SPEC`: the spec on real model servers; writes summary.json and
 * timeseries.csv like `servesim run`. Exits with EXIT_TOO_MANY_FAILED, after writing them, when
 * more than `--max-failed-share` of its requests failed.
 */
export async function testbedRunCommand(
  specFile: string,
  flags: { out?: string; models: string; seed?: string; set: string[]; maxFailedShare: string; maxServers: string; quiet?: boolean },
): Promise<void> {
  const { loadSpec } = await import('../experiment/load-spec.js');
  const { testbedRun } = await import('../experiment/testbed-run.js');
  const { checkDataFiles, resolveDataFile, resolveModuleFile } = await import('./paths.js');
  const { runFolderOf, writeRunFolder } = await import('./run-command.js');
  const { formatWindowRow, TIMESERIES_HEADER } = await import('../metrics/timeseries.js');
  const seed = flags.seed === undefined ? undefined : parseSeed(flags.seed);
  const maxFailedShare = parseShare('--max-failed-share', flags.maxFailedShare);
  const [maxServers] = numbers('--max-servers', flags.maxServers);
  const spec = loadSpec(specFile, flags.set, seed);
  if (spec.workload.trace) checkDataFiles(spec, specFile);
  const out = flags.out ?? runFolderOf(spec.name, specFile, join('runs', 'testbed'));
  // The folder is locked before the servers start, and gets the results whole once the run is over.
  const summary = await writeRunFolder(out, async (dir) => {
    const { summary, rows } = await testbedRun(spec, flags.models, (file) => resolveDataFile(file, specFile), (file) => resolveModuleFile(file, specFile), { maxFailedShare, maxServers });
    writeFileAtomic(join(dir, 'timeseries.csv'), TIMESERIES_HEADER + rows.map(formatWindowRow).join(''));
    return summary;
  });
  const t = summary.testbed;
  if (!flags.quiet) {
    const l = summary.latencyMs;
    const servers = [
      t.serverRestarts > 0 ? `${t.serverRestarts} server restarts after crashes` : '',
      t.serverStartsDeferred > 0 ? `${t.serverStartsDeferred} server starts waited for one of the ${t.maxServers} slots` : '',
      t.replicasRefused > 0 ? `${t.replicasRefused} replicas refused past the cap of ${t.maxServers} servers (--max-servers)` : '',
    ].filter((line) => line !== '');
    process.stdout.write(
      `${summary.name} on real servers: ${summary.requests} requests, ${summary.completed} completed, ${summary.dropped} dropped (${percent(t.failedShare)})\n` +
        `  latency ms  mean ${show(l.mean)}  p50 ${show(l.p50)}  p99 ${show(l.p99)}\n` +
        servers.map((line) => `  ${line}\n`).join('') +
        `  results in ${out}/\n`,
    );
  }
  if (!t.passed) {
    process.stderr.write(`servesim: testbed run: ${summary.dropped} of ${summary.requests} requests failed (${percent(t.failedShare)}), above the ${percent(maxFailedShare)} threshold (--max-failed-share); results in ${out}/\n`);
    process.exitCode = EXIT_TOO_MANY_FAILED;
  }
}
