import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { InputError } from '../errors.js';
import { pairRows, PAIRS_HEADER } from '../experiment/paired.js';
import { provenance } from '../experiment/provenance.js';
import type { Summary } from '../experiment/summary.js';
import { gridCell, PAIRED_METRICS, parseShard, planSweep, shardRuns, SUMMARY_COLUMNS, summaryFigures, type SweepPlan } from '../experiment/sweep.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { csvLines } from '../io/csv-write.js';
import { isProcessRunning } from '../io/leftovers.js';
import { writeResultFolder } from '../io/result-folder.js';
import { checkDataFiles } from './paths.js';
import { startProgress } from './progress.js';
import { parseWorkers, runOnPool } from './run-pool.js';
import type { RunTask } from './run-worker.js';

export interface SweepFlags {
  out: string;
  workers?: string;
  shard?: string;
  resume?: boolean;
  quiet?: boolean;
}

/**
 * A sweep folder:
 * - `sweep.json`, the manifest: the sweep's hash, its axes and every run of the whole sweep (so
 *   shards can be merged without the sweep file), and which shard this folder holds;
 * - `runs/<id>/`, one run folder each (summary.json, timeseries.csv), each put in place whole;
 * - `runs.csv` and `pairs.csv`, written once every run of the shard is in; `provenance.json`.
 */
interface Manifest {
  sweep: string;
  axes: string[];
  shard: string | null;
  runs: { id: string; point: number; values: unknown[]; seed: number }[];
}

const MANIFEST = 'sweep.json';
const LOCK = '.sweep.lock';
/** Past this many grid points, pairs.csv pairs each point with the first only. */
const MAX_ALL_PAIRS = 190;

function manifestOf(plan: SweepPlan, shard: string | null): Manifest {
  return { sweep: plan.hash, axes: plan.axes, shard, runs: plan.runs.map((r) => ({ id: r.id, point: r.point, values: r.values, seed: r.seed })) };
}

function readManifest(dir: string): Manifest | null {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch {
    throw new InputError(`${path}: not a sweep manifest (unreadable JSON)`);
  }
}

const summaryPath = (dir: string, id: string) => join(dir, 'runs', id, 'summary.json');
const readSummary = (dir: string, id: string) => JSON.parse(readFileSync(summaryPath(dir, id), 'utf8')) as Summary;

/**
 * Takes the sweep folder for this process: a lock naming its pid (a lock whose process is gone is
 * stale: a killed sweep), then the manifest checked against the plan (--resume) or written (a new folder).
 */
function openSweepFolder(out: string, manifest: Manifest, resume: boolean): () => void {
  mkdirSync(join(out, 'runs'), { recursive: true });
  const lock = join(out, LOCK);
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, 'utf8').trim());
    if (isProcessRunning(pid)) throw new InputError(`--out ${out}: another servesim (pid ${pid}) is writing this sweep`);
  }
  writeFileSync(lock, `${process.pid}\n`);
  const release = () => rmSync(lock, { force: true });
  try {
    const found = readManifest(out);
    if (found === null) {
      const others = readdirSync(out).filter((name) => name !== 'runs' && name !== LOCK);
      if (others.length > 0 || readdirSync(join(out, 'runs')).length > 0) throw new InputError(`--out ${out}: the folder holds other files (${others[0] ?? 'runs/'}): expected a new or empty folder for a sweep`);
      writeFileAtomic(join(out, MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
    } else if (!resume) {
      throw new InputError(`--out ${out}: already holds a sweep: pass --resume to finish it, or choose another folder`);
    } else if (found.sweep !== manifest.sweep || found.shard !== manifest.shard) {
      throw new InputError(`--out ${out}: holds a different sweep${found.shard === manifest.shard ? '' : ` or shard (${found.shard ?? 'all'})`}: --resume continues only the same sweep file, grid, seeds and shard`);
    }
    // Folders of runs a killed process was writing: never complete, never anyone else's while the lock is ours.
    for (const entry of readdirSync(join(out, 'runs'))) if (entry.startsWith('.') && entry.endsWith('.tmp')) rmSync(join(out, 'runs', entry), { recursive: true, force: true });
  } catch (error) {
    release();
    throw error;
  }
  return release;
}

/** runs.csv: one row per run in the sweep's order (grid point, then seed), the grid values, the seed, the summary's figures. */
function runsCsv(manifest: Manifest, summaries: ReadonlyMap<string, Summary>): string {
  const rows = manifest.runs
    .filter((r) => summaries.has(r.id))
    .map((r) => {
      const figures = summaryFigures(summaries.get(r.id) as Summary);
      return [r.id, ...r.values.map(gridCell), r.seed, ...SUMMARY_COLUMNS.map((c) => figures[c] ?? '')];
    });
  return csvLines([['run', ...manifest.axes, 'seed', ...SUMMARY_COLUMNS], ...rows]);
}

/** pairs.csv: each pair of grid points over the seeds they share, paired by seed. */
function pairsCsv(manifest: Manifest, summaries: ReadonlyMap<string, Summary>): string {
  const points = new Map<number, { label: string; runs: Record<string, number | null>[] }>();
  for (const r of manifest.runs) {
    const summary = summaries.get(r.id);
    if (summary === undefined) continue;
    const label = manifest.axes.map((axis, i) => `${axis}=${gridCell(r.values[i])}`).join(' ') || 'base';
    const point = points.get(r.point) ?? { label, runs: [] };
    point.runs.push(summaryFigures(summary));
    points.set(r.point, point);
  }
  return csvLines([[...PAIRS_HEADER], ...pairRows([...points.values()], PAIRED_METRICS, MAX_ALL_PAIRS)]);
}

/** pairs.csv, provenance.json, then runs.csv: last, so a folder with runs.csv holds the rest too. */
function writeTables(dir: string, manifest: Manifest, summaries: ReadonlyMap<string, Summary>, specSha256: string): void {
  writeFileAtomic(join(dir, 'pairs.csv'), pairsCsv(manifest, summaries));
  writeFileAtomic(join(dir, 'provenance.json'), `${JSON.stringify(provenance(specSha256), null, 2)}\n`);
  writeFileAtomic(join(dir, 'runs.csv'), runsCsv(manifest, summaries));
}

const duration = (seconds: number) => (seconds < 90 ? `${Math.round(seconds)} s` : seconds < 5400 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`);

/** `servesim sweep FILE`: every run of the sweep (or of its shard) on a pool of workers, then runs.csv and pairs.csv. */
export async function sweepCommand(file: string, flags: SweepFlags): Promise<void> {
  const plan = planSweep(file);
  const seen = new Set<number>();
  for (const run of plan.runs) if (!seen.has(run.point) && seen.add(run.point)) checkDataFiles(run.spec, run.specFile);
  const shard = flags.shard === undefined ? null : parseShard(flags.shard);
  const workers = parseWorkers(flags.workers);
  const manifest = manifestOf(plan, flags.shard ?? null);
  const mine = shardRuns(plan.runs, shard);
  const release = openSweepFolder(flags.out, manifest, flags.resume === true);
  try {
    const summaries = new Map<string, Summary>();
    for (const run of mine) if (existsSync(summaryPath(flags.out, run.id))) summaries.set(run.id, readSummary(flags.out, run.id));
    const resumed = summaries.size;
    const command = process.argv.slice(2);
    const tasks: RunTask[] = mine.filter((r) => !summaries.has(r.id)).map((r) => ({ raw: r.raw, specFile: r.specFile, dir: join(flags.out, 'runs', r.id), command }));
    const progress = flags.quiet ? null : await startProgress('sweep');
    const started = performance.now();
    let done = 0;
    try {
      await runOnPool(tasks, workers, (task, summary) => {
        summaries.set(basename(task.dir), summary);
        done++;
        const elapsed = (performance.now() - started) / 1000;
        progress?.update(done / tasks.length, `${done}/${tasks.length} runs, ETA ${duration((elapsed / done) * (tasks.length - done))}`);
      });
    } finally {
      progress?.stop();
    }
    writeTables(flags.out, manifest, summaries, plan.hash);
    const seconds = (performance.now() - started) / 1000;
    if (!flags.quiet) {
      const rate = tasks.length > 0 ? `, ${(tasks.length / seconds).toFixed(2)} runs/s` : '';
      const skipped = resumed > 0 ? ` (${resumed} already done)` : '';
      process.stdout.write(`${mine.length} runs${shard === null ? '' : ` of ${plan.runs.length} (shard ${flags.shard})`}${skipped}: ${tasks.length} run in ${seconds.toFixed(1)} s on ${Math.min(workers, Math.max(1, tasks.length))} workers${rate}\nresults in ${join(flags.out, 'runs.csv')}\n`);
    }
  } finally {
    release();
  }
}

/**
 * `servesim sweep-merge DIR… --out DIR`: the shards of one sweep into one folder whose runs.csv
 * and pairs.csv are those of the unsharded sweep; every run must be in exactly one shard.
 */
export async function sweepMergeCommand(dirs: string[], flags: { out: string; quiet?: boolean }): Promise<void> {
  const manifests = dirs.map((dir) => {
    const manifest = readManifest(dir);
    if (manifest === null) throw new InputError(`${dir}: not a sweep folder (no ${MANIFEST})`);
    return manifest;
  });
  const first = manifests[0];
  manifests.forEach((m, i) => {
    if (m.sweep !== first.sweep) throw new InputError(`${dirs[i]}: a shard of a different sweep than ${dirs[0]} (its sweep.json hash differs)`);
  });
  const home = new Map<string, string>();
  for (const dir of dirs) {
    for (const run of first.runs) {
      if (!existsSync(summaryPath(dir, run.id))) continue;
      const other = home.get(run.id);
      if (other !== undefined) throw new InputError(`${dir}: run ${run.id} is also in ${other}: expected each run in one shard`);
      home.set(run.id, dir);
    }
  }
  const missing = first.runs.filter((r) => !home.has(r.id));
  if (missing.length > 0) throw new InputError(`${missing.length} of ${first.runs.length} runs are in none of the folders (first: ${missing[0].id}): a shard is missing or unfinished (finish it with --resume)`);
  const merged: Manifest = { ...first, shard: null };
  const layout = { marker: 'runs.csv', isResult: (name: string) => ['runs', 'runs.csv', 'pairs.csv', 'provenance.json', MANIFEST].includes(name) };
  await writeResultFolder(flags.out, layout, (dir) => {
    const summaries = new Map<string, Summary>();
    mkdirSync(join(dir, 'runs'), { recursive: true });
    for (const run of merged.runs) {
      const from = home.get(run.id) as string;
      const staging = join(dir, 'runs', `.${run.id}.tmp`);
      cpSync(join(from, 'runs', run.id), staging, { recursive: true });
      renameSync(staging, join(dir, 'runs', run.id));
      summaries.set(run.id, readSummary(dir, run.id));
    }
    writeFileAtomic(join(dir, MANIFEST), `${JSON.stringify(merged, null, 1)}\n`);
    writeTables(dir, merged, summaries, merged.sweep);
  });
  if (!flags.quiet) process.stdout.write(`${merged.runs.length} runs from ${dirs.length} folders\nresults in ${join(flags.out, 'runs.csv')}\n`);
}
