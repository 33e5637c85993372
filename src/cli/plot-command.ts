import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { readCsvRecords } from '../io/csv-records.js';
import { renderChart } from '../report/render.js';
import { timeseriesChart, type TimeseriesPoint } from '../report/timeseries-chart.js';

/** The columns of timeseries.csv the chart draws; p99_ms may be empty (a window with no completion). */
const PLOTTED_COLUMNS = ['t', 'deployment', 'replicas', 'ready_replicas', 'cores', 'arrival_rps', 'p99_ms', 'slo_violations'] as const;
type PlottedColumn = (typeof PLOTTED_COLUMNS)[number];

/** `servesim plot DIR`: draws DIR/timeseries.csv into DIR/timeseries.png and .svg. */
export async function plotCommand(dir: string): Promise<void> {
  process.stdout.write(`${await plotRun(dir)}\n`);
}

/** Draws a run folder's timeseries.csv beside it; returns the PNG's path. */
export async function plotRun(dir: string): Promise<string> {
  const file = join(dir, 'timeseries.csv');
  if (!existsSync(file)) throw new InputError(`${file}: cannot read (ENOENT); run \`servesim run\` first`);
  const rows = readTimeseries(file);
  let title = dir;
  try {
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    title = `${summary.name} (${summary.policy}): P99 ${summary.latencyMs.p99} ms, SLO violations ${summary.sloViolationRate === null ? '-' : `${(summary.sloViolationRate * 100).toFixed(2)}%`}, mean cores ${summary.meanCores}`;
  } catch {
    // no summary: keep the folder as the title
  }
  const { png } = await renderChart(timeseriesChart(rows, title), join(dir, 'timeseries'));
  return png;
}

/** The rows of a timeseries.csv; a missing column, a short row or a cell that is not a number is one line naming file and line. */
function readTimeseries(file: string): TimeseriesPoint[] {
  let columns: Record<PlottedColumn, number> | null = null;
  const rows: TimeseriesPoint[] = [];
  for (const { fields, line } of readCsvRecords(file)) {
    if (columns === null) {
      const missing = PLOTTED_COLUMNS.filter((c) => !fields.includes(c));
      if (missing.length > 0) throw new InputError(`${file}: missing column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')} (expected a timeseries.csv written by \`servesim run\`)`);
      columns = Object.fromEntries(PLOTTED_COLUMNS.map((c) => [c, fields.indexOf(c)])) as Record<PlottedColumn, number>;
      continue;
    }
    if (fields.join('') === '') continue;
    const at = columns;
    const cell = (column: PlottedColumn, optional = false): number | null => {
      const raw = fields[at[column]];
      if (raw === '' && optional) return null;
      const value = Number(raw);
      if (raw === undefined || raw === '' || !Number.isFinite(value)) throw new InputError(`${file}:${line}: column "${column}" expected a number, got ${raw === undefined ? 'nothing' : JSON.stringify(raw)}`);
      return value;
    };
    const deployment = fields[at.deployment];
    if (deployment === undefined || deployment === '') throw new InputError(`${file}:${line}: column "deployment" is empty`);
    rows.push({
      t: cell('t') as number,
      deployment,
      replicas: cell('replicas') as number,
      ready_replicas: cell('ready_replicas') as number,
      cores: cell('cores') as number,
      arrival_rps: cell('arrival_rps') as number,
      p99_ms: cell('p99_ms', true),
      slo_violations: cell('slo_violations') as number,
    });
  }
  if (columns === null) throw new InputError(`${file}: empty file, expected a header line (${PLOTTED_COLUMNS.join(',')}, ...)`);
  if (rows.length === 0) throw new InputError(`${file}: no rows after the header line: nothing to plot`);
  return rows;
}
