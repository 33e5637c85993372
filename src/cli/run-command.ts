import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadSpec } from '../experiment/load-spec.js';
import { runSpec } from '../experiment/run.js';
import type { Summary } from '../experiment/summary.js';
import { AtomicFile, writeFileAtomic } from '../io/atomic-file.js';
import { csvName } from '../io/csv-write.js';
import type { RequestStatus } from '../metrics/run-metrics.js';
import { formatWindowRow, TIMESERIES_HEADER } from '../metrics/timeseries.js';
import type { Request } from '../workload/request.js';
import { checkDataFiles, resolveDataFile, resolveModuleFile } from './paths.js';
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
  const { summary, outDir } = await runToFolder(specFile, flags);
  if (!flags.quiet) process.stdout.write(formatSummary(summary, outDir));
}

/** Runs one spec file and writes its results into the output folder, atomically. */
export async function runToFolder(specFile: string, flags: RunFlags): Promise<{ summary: Summary; outDir: string }> {
  const seed = flags.seed === undefined ? undefined : parseSeed(flags.seed);
  const spec = loadSpec(specFile, flags.set, seed);
  checkDataFiles(spec, specFile);
  const resolve = (file: string) => resolveDataFile(file, specFile);
  const outDir = flags.out ?? join('runs', spec.name);
  mkdirSync(outDir, { recursive: true });

  const timeseries = new AtomicFile(join(outDir, 'timeseries.csv'));
  const requests = flags.requests ? new AtomicFile(join(outDir, 'requests.csv')) : null;
  const progress = flags.quiet ? null : await startProgress();
  let summary: Summary;
  try {
    timeseries.write(TIMESERIES_HEADER);
    requests?.write(REQUESTS_HEADER);
    summary = await runSpec(spec, {
      resolve,
      resolveModule: (file) => resolveModuleFile(file, specFile),
      onRow: (row) => timeseries.write(formatWindowRow(row)),
      requestLog: requests === null ? undefined : ((request, deployment, status, end) => requests.write(formatRequest(request, deployment, status, end))),
      onProgress: progress?.update,
    });
    progress?.stop();
    timeseries.commit();
    requests?.commit();
  } catch (error) {
    progress?.stop();
    timeseries.abort();
    requests?.abort();
    throw error;
  }
  writeFileAtomic(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return { summary, outDir };
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
