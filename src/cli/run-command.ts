import { mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { loadSpec } from '../experiment/load-spec.js';
import { runSpec } from '../experiment/run.js';
import type { Spec } from '../experiment/spec.js';
import type { Summary } from '../experiment/summary.js';
import { provenance, specHash } from '../experiment/provenance.js';
import { AtomicFile, writeFileAtomic } from '../io/atomic-file.js';
import { csvName } from '../io/csv-write.js';
import { checkFolderName, writeResultFolder, type FolderLayout } from '../io/result-folder.js';
import type { RequestStatus } from '../metrics/run-metrics.js';
import { formatWindowRow, TIMESERIES_HEADER } from '../metrics/timeseries.js';
import { DEFAULT_TRACE_SECONDS, DEFAULT_MAX_TRACE_EVENTS, TraceEventWriter } from '../report/trace-events.js';
import type { Request } from '../workload/request.js';
import { checkDataFiles, isFile, resolveDataFile, resolveModuleFile } from './paths.js';
import { startProgress } from './progress.js';
import { parsePositiveInteger, parseSeconds, parseSeed } from './flags.js';

export interface RunFlags {
  seed?: string;
  out?: string;
  set: string[];
  requests?: boolean;
  quiet?: boolean;
  /** A Chrome Trace Event file of the run (checked as parsed), and the simulated seconds and number of events it holds. */
  traceEvents?: string;
  traceFrom?: string;
  traceTo?: string;
  traceMaxEvents?: string;
}

/** What `--trace-events` asks for: the file, the span of simulated seconds, the cap on events. */
export interface TraceRequest {
  file: string;
  from: number;
  to: number;
  maxEvents: number;
}

/** The trace the flags ask for, or null; a bad value, or a bound without `--trace-events`, is bad input naming its flag. */
export function traceRequest(flags: Pick<RunFlags, 'traceEvents' | 'traceFrom' | 'traceTo' | 'traceMaxEvents'>): TraceRequest | null {
  if (flags.traceEvents === undefined) {
    const stray = (['traceFrom', 'traceTo', 'traceMaxEvents'] as const).find((key) => flags[key] !== undefined);
    if (stray !== undefined) throw new InputError(`--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: only with --trace-events`);
    return null;
  }
  const from = flags.traceFrom === undefined ? 0 : parseSeconds(flags.traceFrom, '--trace-from');
  const to = flags.traceTo === undefined ? from + DEFAULT_TRACE_SECONDS : parseSeconds(flags.traceTo, '--trace-to');
  if (!(to > from)) throw new InputError(`--trace-to: expected a time after --trace-from (${from} s), got "${flags.traceTo}"`);
  const maxEvents = flags.traceMaxEvents === undefined ? DEFAULT_MAX_TRACE_EVENTS : parsePositiveInteger(flags.traceMaxEvents, '--trace-max-events');
  return { file: flags.traceEvents, from, to, maxEvents };
}

export async function runCommand(specFile: string, flags: RunFlags): Promise<void> {
  const trace = traceRequest(flags);
  const spec = loadRunSpec(specFile, flags);
  const outDir = flags.out ?? runFolderOf(spec.name, specFile);
  const summary = await writeRunFolder(outDir, spec, (dir) => simulateInto(spec, specFile, dir, { ...flags, trace }));
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
export function writeRunFolder<S extends Summary>(outDir: string, spec: Spec, produce: (dir: string) => Promise<S>): Promise<S> {
  return writeResultFolder(outDir, RUN_FOLDER, async (dir) => writeSummary(dir, spec, await produce(dir)));
}

/** Writes summary.json, the run folder's marker, with the run's provenance; returns what it wrote. */
export function writeSummary<S extends Summary>(dir: string, spec: Spec, summary: S, command?: string[]): S {
  const stamped = { ...summary, provenance: provenance(specHash(spec), command) };
  writeFileAtomic(join(dir, 'summary.json'), `${JSON.stringify(stamped, null, 2)}\n`);
  return stamped;
}

/**
 * Simulates a loaded spec, streaming timeseries.csv (and with --requests requests.csv) into `dir`,
 * and with a trace request the trace file where it asks; returns the summary.
 */
export async function simulateInto(spec: Spec, specFile: string, dir: string, flags: { requests?: boolean; quiet?: boolean; trace?: TraceRequest | null }): Promise<Summary> {
  const timeseries = new AtomicFile(join(dir, 'timeseries.csv'));
  const requests = flags.requests ? new AtomicFile(join(dir, 'requests.csv')) : null;
  const trace = flags.trace == null ? null : { request: flags.trace, file: openTraceFile(flags.trace.file) };
  const progress = flags.quiet ? null : await startProgress();
  try {
    timeseries.write(TIMESERIES_HEADER);
    requests?.write(REQUESTS_HEADER);
    const tracer =
      trace === null
        ? undefined
        : new TraceEventWriter({ ...trace.request, write: (text) => trace.file.write(text), about: { spec: spec.name, seed: spec.seed } });
    const summary = await runSpec(spec, {
      resolve: (file) => resolveDataFile(file, specFile),
      resolveModule: (file) => resolveModuleFile(file, specFile),
      onRow: (row) => timeseries.write(formatWindowRow(row)),
      requestLog: requests === null ? undefined : ((request, deployment, status, end) => requests.write(formatRequest(request, deployment, status, end))),
      onProgress: progress?.update,
      tracer,
    });
    progress?.stop();
    timeseries.commit();
    requests?.commit();
    trace?.file.commit();
    return summary;
  } catch (error) {
    progress?.stop();
    timeseries.abort();
    requests?.abort();
    trace?.file.abort();
    throw error instanceof InputError ? namingSpec(error, specFile) : error;
  }
}

/** The trace file, written atomically; the folders it names are made if missing (`--trace-events` checked that they can be). */
function openTraceFile(file: string): AtomicFile {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  return new AtomicFile(file);
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
