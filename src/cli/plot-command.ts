import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { InputError } from '../errors.js';
import { renderChart } from '../report/render.js';
import { timeseriesChart, type TimeseriesPoint } from '../report/timeseries-chart.js';

/** `servesim plot DIR`: draws DIR/timeseries.csv into DIR/timeseries.png and .svg. */
export async function plotCommand(dir: string): Promise<void> {
  const file = join(dir, 'timeseries.csv');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'}); run \`servesim run\` first`);
  }
  const records = parse(text, { columns: true }) as Record<string, string>[];
  const number = (v: string) => (v === '' ? null : Number(v));
  const rows: TimeseriesPoint[] = records.map((r) => ({
    t: Number(r.t),
    deployment: r.deployment,
    replicas: Number(r.replicas),
    ready_replicas: Number(r.ready_replicas),
    cores: Number(r.cores),
    arrival_rps: Number(r.arrival_rps),
    p99_ms: number(r.p99_ms),
    slo_violations: Number(r.slo_violations),
  }));
  let title = dir;
  try {
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    title = `${summary.name} (${summary.policy}): P99 ${summary.latencyMs.p99} ms, SLO violations ${summary.sloViolationRate === null ? '-' : `${(summary.sloViolationRate * 100).toFixed(2)}%`}, mean cores ${summary.meanCores}`;
  } catch {
    // no summary: keep the folder as the title
  }
  const { png } = await renderChart(timeseriesChart(rows, title), join(dir, 'timeseries'));
  process.stdout.write(`${png}\n`);
}
