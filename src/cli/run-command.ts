import { join, relative } from 'node:path';
import { InputError } from '../errors.js';
import { loadSpec } from '../experiment/load-spec.js';
import { runSpec } from '../experiment/run.js';
import type { Spec } from '../experiment/spec.js';
import type { Summary } from '../experiment/summary.js';
import { AtomicFile, writeFileAtomic } from '../io/atomic-file.js';
import { csvName } from '../io/csv-write.js';
import { checkFolderName, writeResultFolder, type FolderLayout } from '../io/result-folder.js';
import type { RequestStatus } from '../metrics/run-metrics.js';
import { formatWindowRow, TIMESERIES_HEADER } from '../metrics/timeseries.js';
import type { Request } from '../workload/request.js';
import { checkDataFiles, isFile, resolveDataFile, resolveModuleFile } from './paths.js';
import { startProgress } from './progress.js';
import { parseSeed } from './flags.js';

export interface RunFlags {
  seed?: string;
  out?: string;
  set: string[];
  requests?: boolean;
  quiet?: boolean;
}

export async function runCommand(specFile: string, flags: RunFlags): Promise<void> {
  const spec = loadRunSpec(specFile, flags);
  const outDir = flags.out ?? runFolderOf(spec.name, specFile);
  const summary = await writeRunFolder(outDir, (dir) => simulateInto(spec, specFile, dir, flags));
  // Warnings go to stderr even with --quiet: they say the results may not mean what the spec intended.
  for (const warning of summary.warnings ?? []) process.stderr.write(`servesim: warning: ${specFile}: ${warning}\n`);
  if (!flags.quiet) process.stdout.write(formatSummary(summary, outDir));
}

/** Loads a spec with the command's --set and --seed, and checks the data files it names. */
export function loadRunSpec(specFile: string, flags: { seed?: string; set: string[] }): Spec {
  const spec = loadSpec(specFile, flags.set, flags.seed === undefined ? undefined : parseSeed(flags.seed));
  checkDataFiles(spec, specFile);
  return spec;
}

/** A run's default folder, `<root>/<spec name>`: a name that would lead outside `root` is bad input naming the spec's field. */
export function runFolderOf(specName: string, specFile: string, root = 'runs'): string {
  return join(root, checkFolderName(specName, `${specFile}: name`));
}

/**
 * A run's folder: summary.json (its marker), timeseries.csv, requests.csv, and the drawing of the
 * timeseries by `servesim plot`, which belongs to the run it was drawn from.
 */
export const RUN_FOLDER: FolderLayout = {
  marker: 'summary.json',
  isResult: (name, isDirectory) => !isDirectory && ['summary.json', 'timeseries.csv', 'requests.csv', 'timeseries.svg', 'timeseries.png'].includes(name),
};

/**
 * Writes one run's folder, simulated or real, all or nothing: `produce` writes the run's CSVs into
 * the folder it is given and returns the summary, which goes in last as summary.json. The folder is
 * locked from the start, so call it before the run begins.
 */
export function writeRunFolder<S extends Summary>(outDir: string, produce: (dir: string) => Promise<S>): Promise<S> {
  return writeResultFolder(outDir, RUN_FOLDER, async (dir) => {
    const summary = await produce(dir);
    writeFileAtomic(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  });
}

/** Simulates a loaded spec, streaming timeseries.csv (and with --requests requests.csv) into `dir`; returns the summary. */
export async function simulateInto(spec: Spec, specFile: string, dir: string, flags: { requests?: boolean; quiet?: boolean }): Promise<Summary> {
  const timeseries = new AtomicFile(join(dir, 'timeseries.csv'));
  const requests = flags.requests ? new AtomicFile(join(dir, 'requests.csv')) : null;
  const progress = flags.quiet ? null : await startProgress();
  try {
    timeseries.write(TIMESERIES_HEADER);
    requests?.write(REQUESTS_HEADER);
    const summary = await runSpec(spec, {
      resolve: (file) => resolveDataFile(file, specFile),
      resolveModule: (file) => resolveModuleFile(file, specFile),
      onRow: (row) => timeseries.write(formatWindowRow(row)),
      requestLog: requests === null ? undefined : ((request, deployment, status, end) => requests.write(formatRequest(request, deployment, status, end))),
      onProgress: progress?.update,
    });
    progress?.stop();
    timeseries.commit();
    requests?.commit();
    return summary;
  } catch (error) {
    progress?.stop();
    timeseries.abort();
    requests?.abort();
    throw error instanceof InputError ? namingSpec(error, specFile) : error;
  }
}

/**
 * A problem found while running (an overloaded deployment, a stuck drain) named with the spec it
 * came from; one that names its own file first (a trace's bad line) is left as it is.
 */
function namingSpec(error: InputError, specFile: string): InputError {
  return isFile(error.message.split(':')[0]) ? error : new InputError(`${specFile}: ${error.message}`);
}

const REQUESTS_HEADER = 'id,deployment,status,arrival_s,start_s,end_s,latency_ms,wait_ms\n';

const fixed = (value: number, digits: number) => (Number.isNaN(value) ? '' : value.toFixed(digits));

function formatRequest(r: Request, deployment: string, status: RequestStatus, end: number): string {
  return (
    `${r.id},${csvName(deployment)},${status},${fixed(r.arrivalTime, 6)},${fixed(r.startTime, 6)},${fixed(end, 6)},` +
    `${fixed((end - r.arrivalTime) * 1000, 3)},${fixed((r.startTime - r.arrivalTime) * 1000, 3)}\n`
  );
}

const show = (value: number | null, digits = 2) => (value === null ? '-' : value.toFixed(digits));

function formatSummary(s: Summary, outDir: string): string {
  const l = s.latencyMs;
  const rate = s.wallSeconds > 0 ? `, ${(s.events / s.wallSeconds / 1e6).toFixed(2)} M events/s` : '';
  return [
    `${s.name} (seed ${s.seed}): ${s.duration} s simulated in ${s.wallSeconds.toFixed(2)} s${rate}`,
    `  requests ${s.requests}  completed ${s.completed}  dropped ${s.dropped}  in flight ${s.inFlight}`,
    `  latency ms  mean ${show(l.mean)}  p50 ${show(l.p50)}  p90 ${show(l.p90)}  p95 ${show(l.p95)}  p99 ${show(l.p99)}  max ${show(l.max)}`,
    `  wait ms     mean ${show(s.waitMs.mean)}  p50 ${show(s.waitMs.p50)}  p99 ${show(s.waitMs.p99)}`,
    `  mean cores ${show(s.meanCores)}  SLO violations ${s.sloViolationRate === null ? '-' : `${(s.sloViolationRate * 100).toFixed(2)}%`}  accuracy ${show(s.accuracy, 4)}`,
    `  results in ${relative(process.cwd(), outDir) || '.'}/`,
    '',
  ].join('\n');
}
