import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { applyOverride, validateSpec } from './load-spec.js';
import { readSpecFile } from './spec-variants.js';
import { sha256, specHash } from './provenance.js';
import type { Spec } from './spec.js';
import type { Summary } from './summary.js';

/**
 * A sweep: a base spec (or a list of specs, one more axis), a grid of `--set`-style paths with the
 * values each takes, and seeds. Every combination runs once per seed.
 */
const jsonValue: z.ZodType<unknown> = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.unknown()), z.record(z.string(), z.unknown())]);

export const sweepSchema = z
  .strictObject({
    $schema: z.string().optional(),
    description: z.string().optional(),
    base: z.string().min(1).optional().describe('The spec every run starts from, relative to the sweep file'),
    specs: z.array(z.string().min(1)).min(1).optional().describe('Several specs as one more axis (instead of base), relative to the sweep file; the column "spec"'),
    grid: z
      .record(z.string().regex(/^[^=]+$/, 'expected a spec path such as deployments.0.replicas (no "=")'), z.array(jsonValue).min(1))
      .default({})
      .describe('Spec paths, as --set writes them, each with the values it takes'),
    seeds: z
      .array(z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER))
      .min(1)
      .refine((seeds) => new Set(seeds).size === seeds.length, { message: 'expected distinct seeds' })
      .describe('Every grid point runs once per seed, on the same arrivals and service-time streams for the same seed'),
  })
  .refine((s) => (s.base === undefined) !== (s.specs === undefined), { message: 'expected exactly one of "base" (one spec) and "specs" (a list)', path: ['base'] });

export type SweepFile = z.infer<typeof sweepSchema>;

/** One run of a sweep: its folder name, the values of its grid point, its seed and the validated spec. */
export interface SweepRun {
  /** Folder name under `runs/`, e.g. `p003-seed2`. */
  id: string;
  point: number;
  /** The spec file and each grid value, in the columns' order. */
  values: unknown[];
  seed: number;
  specFile: string;
  /** The spec as read and overridden, before validation (what a worker validates again). */
  raw: unknown;
  spec: Spec;
}

export interface SweepPlan {
  file: string;
  /** The columns naming a grid point: "spec" with a spec axis, then the grid paths as written. */
  axes: string[];
  points: number;
  runs: SweepRun[];
  /** A digest of everything that decides the results: the runs' specs and seeds. Shards of one sweep share it. */
  hash: string;
}


/** The cartesian product of the axes, the last axis varying fastest. */
function product(axes: unknown[][]): unknown[][] {
  return axes.reduce<unknown[][]>((points, values) => points.flatMap((point) => values.map((value) => [...point, value])), [[]]);
}

const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** Reads a sweep file and every run it asks for, each spec validated, so bad input costs no simulation. */
export function planSweep(file: string): SweepPlan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`${file}: cannot read the sweep (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: not JSON: ${(error as Error).message}`);
  }
  const parsed = sweepSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${file}: ${issue.path.map(String).join('.') || '(top level)'}: ${issue.message}`);
  }
  const sweep = parsed.data;
  const relative = (path: string) => (isAbsolute(path) ? path : join(dirname(file), path));
  const specFiles = sweep.specs ?? [sweep.base as string];
  const paths = Object.keys(sweep.grid);
  const axes = [...(sweep.specs === undefined ? [] : ['spec']), ...paths];
  const bases = new Map(specFiles.map((spec) => [spec, readSpecFile(relative(spec))]));
  const points = product([specFiles, ...paths.map((path) => sweep.grid[path])]);
  const width = String(points.length - 1).length;
  const runs: SweepRun[] = [];
  points.forEach(([specPath, ...gridValues], point) => {
    const specFile = relative(specPath as string);
    const values = sweep.specs === undefined ? gridValues : [specPath, ...gridValues];
    const where = `${file}: grid point ${axes.map((axis, i) => `${axis}=${show(values[i])}`).join(' ') || '(the base)'}`;
    for (const seed of sweep.seeds) {
      const raw = structuredClone(bases.get(specPath as string));
      const overrides = paths.map((path, i) => `${path}=${JSON.stringify(gridValues[i])}`);
      let spec: Spec;
      try {
        for (const assignment of overrides) applyOverride(raw, assignment);
        if (raw !== null && typeof raw === 'object') (raw as Record<string, unknown>).seed = seed;
        spec = validateSpec(raw, specFile, overrides);
      } catch (error) {
        if (error instanceof InputError) throw new InputError(`${where}: ${error.message}`);
        throw error;
      }
      runs.push({ id: `p${String(point).padStart(width, '0')}-seed${seed}`, point, values, seed, specFile, raw, spec });
    }
  });
  const hash = sha256(JSON.stringify({ axes, runs: runs.map((r) => [r.id, r.values, specHash(r.spec)]) }));
  return { file, axes, points: points.length, runs, hash };
}

/** `--shard i/N`: 0 ≤ i < N, as a Kubernetes Indexed Job's JOB_COMPLETION_INDEX counts. */
export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || count < 1 || index >= count) throw new InputError(`--shard: expected i/N with 0 ≤ i < N (e.g. 0/4), got "${text}"`);
  return { index, count };
}

/**
 * The runs of shard i of N: grid points dealt round-robin (a point's seeds stay together, so
 * each shard can pair its own runs), so neighbouring points, often alike in cost, spread evenly.
 */
export function shardRuns(runs: readonly SweepRun[], shard: { index: number; count: number } | null): SweepRun[] {
  return shard === null ? [...runs] : runs.filter((run) => run.point % shard.count === shard.index);
}

/** The summary's figures in runs.csv, after the run's grid values and seed: no wall-clock figure, so the file is byte-identical however it was run. */
export const SUMMARY_COLUMNS = [
  'requests',
  'completed',
  'dropped',
  'in_flight',
  'latency_mean_ms',
  'latency_p50_ms',
  'latency_p90_ms',
  'latency_p99_ms',
  'wait_mean_ms',
  'slo_violation_rate',
  'window_violation_rate',
  'mean_cores',
  'core_seconds',
  'accuracy',
  'reconfigurations',
  'events',
] as const;

export type SummaryColumn = (typeof SUMMARY_COLUMNS)[number];

/** The figures pairs.csv compares run by run, in sweeps and comparisons alike. */
export const PAIRED_METRICS: readonly SummaryColumn[] = ['latency_mean_ms', 'latency_p99_ms', 'slo_violation_rate', 'mean_cores', 'accuracy', 'dropped'];

export function summaryFigures(s: Summary): Record<SummaryColumn, number | null> {
  return {
    requests: s.requests,
    completed: s.completed,
    dropped: s.dropped,
    in_flight: s.inFlight,
    latency_mean_ms: s.latencyMs.mean,
    latency_p50_ms: s.latencyMs.p50,
    latency_p90_ms: s.latencyMs.p90,
    latency_p99_ms: s.latencyMs.p99,
    wait_mean_ms: s.waitMs.mean,
    slo_violation_rate: s.sloViolationRate,
    window_violation_rate: s.windowViolationRate,
    mean_cores: s.meanCores,
    core_seconds: s.coreSeconds,
    accuracy: s.accuracy,
    reconfigurations: s.reconfigurations,
    events: s.events,
  };
}

/** A grid value as a CSV cell: strings as they are, anything else as JSON. */
export const gridCell = show;
