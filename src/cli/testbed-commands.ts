import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { csvLines } from '../io/csv-write.js';
import { writeResultFolder, type FolderLayout } from '../io/result-folder.js';
import { capacityFileOf } from '../profiles/capacity-data.js';
import { formatProfileCsv } from '../profiles/table-model.js';
import { failureVerdict } from '../testbed/failure-threshold.js';
import { checkModelFile, CNN_VARIANTS, TINY_VARIANT, writeModel, type CnnVariant } from '../testbed/onnx-model.js';
import { profileModels } from '../testbed/profiler.js';
import type { LatencySamples, PairedRun, RealRequests, ServerFacts, SpecConfig, SpreadRow, ValidationRow } from '../experiment/validate.js';
import { parseSeed } from './flags.js';
import { startActivity } from './progress.js';
import { EXIT_TOO_MANY_FAILED } from './exit-codes.js';

const ALL = [...CNN_VARIANTS, TINY_VARIANT];

function variantsNamed(list: string | undefined): CnnVariant[] {
  if (list === undefined) return CNN_VARIANTS;
  return list.split(',').map((name) => {
    const variant = ALL.find((v) => v.name === name.trim());
    if (variant === undefined) throw new InputError(`--variants: unknown variant "${name}" (expected ${ALL.map((v) => v.name).join(', ')})`);
    return variant;
  });
}

/** validate's folder: validation.csv (its marker), the ranking, spread and per-run tables, and the two charts, each as SVG and PNG. */
const VALIDATION_FOLDER: FolderLayout = {
  marker: 'validation.csv',
  isResult: (name, isDirectory) => !isDirectory && /^((validation|ranking|agreement|spread|runs)\.csv|(latency-cdf|replicas)\.(svg|png))$/.test(name),
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

/** The figures each kind of configuration compares (those a run lacks, such as accuracy without one, are left out). */
const AUTOSCALING_METRICS = ['slo_violation_rate', 'mean_replicas', 'mean_cores', 'accuracy', 'p50_ms', 'p99_ms'];
const STATIC_METRICS = ['slo_violation_rate', 'p50_ms', 'p99_ms'];
/** What the ranking orders the policy set by, and the objective's bound on SLO violations. */
const RANKING_METRICS = ['slo_violation_rate', 'mean_cores', 'p99_ms'];
const OBJECTIVE_MAX_VIOLATIONS = 0.1;

/**
 * `servesim validate`: configurations run for real and simulated (steady state, overload,
 * batching, two variants, autoscaling repeated over seeds, a ranked policy set); writes
 * validation.csv and its companions. Exits with EXIT_TOO_MANY_FAILED, after writing its results,
 * when a real part failed more than `--max-failed-share` of its requests: its figures would
 * compare the simulator with a broken run.
 */
export async function validateCommand(flags: { quick?: boolean; models: string; out: string; seed: string; maxFailedShare: string; quiet?: boolean }): Promise<void> {
  const v = await import('../experiment/validate.js');
  const { kendallTauB, ranks, winner } = await import('../experiment/ranking.js');
  const seed = parseSeed(flags.seed);
  const maxFailedShare = parseShare('--max-failed-share', flags.maxFailedShare);
  const quick = flags.quick === true;
  const variant = (name: string) => CNN_VARIANTS.find((x) => x.name === name) as CnnVariant;
  const facts = new Map<string, Promise<ServerFacts>>();
  const factsOf = (x: CnnVariant) => facts.get(x.name) ?? (facts.set(x.name, v.measureServer(x, flags.models)), facts.get(x.name) as Promise<ServerFacts>);
  const duration = quick ? 6 : 60;
  const steady = [
    ...(quick ? [0.3, 0.8] : [0.3, 0.6, 0.8]).map((u) => ({ name: `cnn-s-1core-u${u}`, variant: variant('cnn-s'), cores: 1, utilisation: u, durationSeconds: duration })),
    ...(quick ? [] : [0.3, 0.6, 0.8].map((u) => ({ name: `cnn-m-1core-u${u}`, variant: variant('cnn-m'), cores: 1, utilisation: u, durationSeconds: duration }))),
    // Offered above capacity with 8 places to wait: drops and goodput are what can disagree.
    ...(quick ? [] : [{ name: 'cnn-s-1core-overload-u1.3', variant: variant('cnn-s'), cores: 1, utilisation: 1.3, durationSeconds: 30, queueLimit: 8 }]),
  ];
  const seeds = quick ? [seed] : [seed, seed + 1, seed + 2];
  const rows: ValidationRow[] = [];
  const spread: SpreadRow[] = [];
  const perRun: string[][] = [];
  const latencies: LatencySamples[] = [];
  const real: RealRequests[] = [];
  const activity = flags.quiet ? null : await startActivity('validating');
  const paired = async (label: string, config: SpecConfig, runSeeds: number[], metrics: string[]) => {
    const runs = await v.runPaired(config, runSeeds, flags.models, factsOf, (s) => activity?.update(`${label} (seed ${s}, ${config.input.duration} s of load, real and simulated)`));
    const summary = v.summarizeRepeats(label, runs, metrics);
    rows.push(...summary.rows);
    spread.push(...summary.spread);
    latencies.push({ config: label, sim: runs[0].simLatenciesMs, real: runs[0].realLatenciesMs });
    real.push({ config: label, requests: runs.reduce((n, r) => n + r.real.requests, 0), failed: runs.reduce((n, r) => n + r.real.dropped, 0) });
    runs.forEach((r, i) => {
      const sim = summary.sims[i];
      for (const metric of metrics.filter((m) => m in sim)) perRun.push([label, String(r.seed), metric, fixed(sim[metric], 4), fixed(summary.reals[i][metric], 4), fixed(r.clientCpuPerRequest * 1000, 4), fixed(r.controllerCpuPerDecision * 1000, 4)]);
    });
    return runs;
  };
  // Locked for the whole run; validation.csv, its marker, goes in last, after the charts.
  await writeResultFolder(flags.out, VALIDATION_FOLDER, async (dir) => {
    const small = await factsOf(variant('cnn-s'));
    for (const config of steady) {
      activity?.update(`${config.name} (${config.durationSeconds} s of load)`);
      const capacity = (await factsOf(config.variant)).capacityRps;
      const result = await v.validateConfig(config, flags.models, seed, capacity);
      rows.push(...result.rows);
      latencies.push(result.latencies);
      real.push(result.real);
    }
    if (!quick) {
      await paired('cnn-s-batching', v.batchingConfig(small.capacityRps), [seed], STATIC_METRICS);
      await paired('two-variants', v.specConfig('two-variants', v.TWO_VARIANTS_TESTBED_SPEC, [1], [1]), [seed], STATIC_METRICS);
    }
    // The ranking set on one burst; HPA at 50% is also the repeated autoscaling configuration.
    const burstSeconds = quick ? 16 : 120;
    const policies = quick ? v.RANKING_POLICIES.filter((p) => p.name !== 'hpa-0.3' && p.name !== 'hpa-0.8') : v.RANKING_POLICIES;
    const ranked: { config: string; sim: Record<string, number>; real: Record<string, number> }[] = [];
    let hpaRuns: PairedRun[] = [];
    for (const policy of policies) {
      const config = v.burstConfig(policy, small.capacityRps, burstSeconds);
      const isHpa = policy.name === 'hpa-0.5';
      const runs = isHpa ? (hpaRuns = await paired('hpa-cnn-s-burst', config, seeds, AUTOSCALING_METRICS)) : await v.runPaired(config, [seed], flags.models, factsOf, () => activity?.update(`ranking: ${policy.name} on the burst (${burstSeconds} s, real and simulated)`));
      if (!isHpa) real.push({ config: policy.name, requests: runs[0].real.requests, failed: runs[0].real.dropped });
      const first = runs[0];
      const figures = { config: policy.name, sim: v.runFigures(first.sim, first.simRows, 1), real: v.runFigures(first.real, first.realRows, 1) };
      ranked.push(figures);
      for (const metric of RANKING_METRICS) perRun.push([`ranking-${policy.name}`, String(first.seed), metric, fixed(figures.sim[metric], 4), fixed(figures.real[metric], 4), fixed(first.clientCpuPerRequest * 1000, 4), fixed(first.controllerCpuPerDecision * 1000, 4)]);
    }
    if (!quick) {
      await paired('infadapter-cnn-burst', v.specConfig('infadapter-cnn-burst', v.INFADAPTER_TESTBED_SPEC, [1], [1, 2]), seeds, AUTOSCALING_METRICS);
      await paired('sponge-cnn-steps', v.specConfig('sponge-cnn-steps', v.SPONGE_TESTBED_SPEC, [1, 2, 4, 8], [1, 2]), seeds, AUTOSCALING_METRICS);
      await paired('ipa-cnn-pipeline', v.specConfig('ipa-cnn-pipeline', v.IPA_TESTBED_SPEC, [1, 2, 4], [1]), seeds, AUTOSCALING_METRICS);
    }
    activity?.stop();
    const rankingRows: string[][] = [];
    const agreement: string[][] = [];
    for (const metric of RANKING_METRICS) {
      const simRanks = ranks(ranked.map((c) => c.sim[metric]));
      const realRanks = ranks(ranked.map((c) => c.real[metric]));
      ranked.forEach((c, i) => rankingRows.push([c.config, metric, String(simRanks[i]), String(realRanks[i])]));
      const best = (r: number[]) => ranked.filter((_, i) => r[i] === Math.min(...r)).map((c) => c.config).join('+');
      agreement.push([metric, fixed(kendallTauB(simRanks, realRanks), 3), best(simRanks), best(realRanks)]);
    }
    const simWinner = winner(ranked.map((c) => ({ config: c.config, figures: c.sim })), OBJECTIVE_MAX_VIOLATIONS);
    const realWinner = winner(ranked.map((c) => ({ config: c.config, figures: c.real })), OBJECTIVE_MAX_VIOLATIONS);
    agreement.push([`objective: fewest cores with slo_violation_rate <= ${OBJECTIVE_MAX_VIOLATIONS}`, '', simWinner, realWinner]);
    const { latencyCdfChart, replicaChart } = await import('../report/validation-charts.js');
    const { renderChart } = await import('../report/render.js');
    await renderChart(latencyCdfChart(latencies, 'End-to-end latency, simulated (dashed) and real (solid)'), join(dir, 'latency-cdf'));
    const hpa = hpaRuns[0];
    const replicas = { t: hpa.simRows.map((r) => r.t), sim: hpa.simRows.map((r) => r.replicas), real: hpa.simRows.map((_, i) => hpa.realRows[i]?.replicas ?? NaN) };
    await renderChart(replicaChart(replicas, 'HPA replicas through the Twitter burst, simulated and real'), join(dir, 'replicas'));
    writeFileAtomic(join(dir, 'ranking.csv'), csvLines([['config', 'metric', 'sim_rank', 'real_rank'], ...rankingRows]));
    writeFileAtomic(join(dir, 'agreement.csv'), csvLines([['metric', 'kendall_tau', 'sim_best', 'real_best'], ...agreement]));
    writeFileAtomic(join(dir, 'spread.csv'), csvLines([['config', 'metric', 'runs', 'sim_mean', 'real_mean', 'real_min', 'real_max', 'within_goal'], ...spread.map((r) => [r.config, r.metric, String(r.runs), fixed(r.simMean, 4), fixed(r.realMean, 4), fixed(r.realMin, 4), fixed(r.realMax, 4), String(r.withinGoal)])]));
    writeFileAtomic(join(dir, 'runs.csv'), csvLines([['config', 'seed', 'metric', 'sim', 'real', 'client_cpu_ms_per_request', 'controller_cpu_ms_per_decision'], ...perRun]));
    writeFileAtomic(join(dir, 'validation.csv'), csvLines([v.VALIDATION_HEADER, ...rows.map(v.validationCells)]));
    if (!flags.quiet) {
      for (const r of rows) process.stdout.write(`${r.config.padEnd(26)} ${r.metric.padEnd(18)} sim ${show(r.sim).padStart(9)}  real ${show(r.real).padStart(9)}  error ${show(r.errorPct, 1).padStart(6)}%\n`);
      for (const [metric, tau, simBest, realBest] of agreement) process.stdout.write(`ranking by ${metric}: ${tau === '' ? '' : `Kendall tau ${tau}, `}best sim ${simBest}, real ${realBest}\n`);
    }
  }).finally(() => activity?.stop());
  if (!flags.quiet) process.stdout.write(`results in ${join(flags.out, 'validation.csv')}\n`);
  const failed = real.filter((r) => !failureVerdict(r.requests, r.failed, maxFailedShare).passed);
  if (failed.length > 0) {
    const parts = failed.map((r) => `${r.config} ${r.failed} of ${r.requests} (${percent(failureVerdict(r.requests, r.failed, maxFailedShare).failedShare)})`);
    process.stderr.write(`servesim: validate: real requests failed above the ${percent(maxFailedShare)} threshold (--max-failed-share): ${parts.join('; ')}\n`);
    process.exitCode = EXIT_TOO_MANY_FAILED;
  }
}

const fixed = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '');

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
  const summary = await writeRunFolder(out, spec, async (dir) => {
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
