import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Summary } from '../experiment/summary.js';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { csvLines } from '../io/csv-write.js';
import { textTable } from '../report/text-table.js';
import { runToFolder } from './run-command.js';

export interface CompareFlags {
  seed?: string;
  out: string;
  set: string[];
  quiet?: boolean;
}

const COLUMNS = ['name', 'requests', 'completed', 'dropped', 'mean_ms', 'p99_ms', 'slo_violation_rate', 'mean_cores', 'accuracy'] as const;

function row(s: Summary): (string | number | null)[] {
  return [s.name, s.requests, s.completed, s.dropped, s.latencyMs.mean, s.latencyMs.p99, s.sloViolationRate, s.meanCores, s.accuracy];
}

/** Runs several specs on the same seed, each into DIR/<name>/, and tabulates them in DIR/comparison.csv. */
export async function compareCommand(specFiles: string[], flags: CompareFlags): Promise<void> {
  mkdirSync(flags.out, { recursive: true });
  const summaries: Summary[] = [];
  for (const file of specFiles) {
    const name = file.replace(/^.*\//, '').replace(/\.json$/, '');
    const { summary } = await runToFolder(file, { ...flags, out: join(flags.out, name), quiet: true });
    if (summaries.some((s) => s.name === summary.name)) throw new InputError(`${file}: name "${summary.name}" is already in this comparison`);
    summaries.push(summary);
    if (!flags.quiet) process.stderr.write(`  ran ${summary.name} (${summary.wallSeconds.toFixed(1)} s)\n`);
  }
  writeFileAtomic(join(flags.out, 'comparison.csv'), csvLines([[...COLUMNS], ...summaries.map((s) => row(s).map((v) => v ?? ''))]));
  if (!flags.quiet) process.stdout.write(`${formatTable(summaries)}\nresults in ${flags.out}/\n`);
}

const cell = (value: number | null, digits: number) => (value === null ? '-' : value.toFixed(digits));

function formatTable(summaries: Summary[]): string {
  const header = ['spec', 'requests', 'dropped', 'mean ms', 'p99 ms', 'SLO viol.', 'mean cores', 'accuracy'];
  const rows = summaries.map((s) => [
    s.name,
    String(s.requests),
    String(s.dropped),
    cell(s.latencyMs.mean, 1),
    cell(s.latencyMs.p99, 1),
    s.sloViolationRate === null ? '-' : `${(s.sloViolationRate * 100).toFixed(2)}%`,
    cell(s.meanCores, 2),
    cell(s.accuracy, 4),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const [headerLine, ...lines] = textTable(header, rows);
  return [headerLine, textTable(header, [widths.map((w) => '-'.repeat(w))])[1], ...lines].join('\n');
}
