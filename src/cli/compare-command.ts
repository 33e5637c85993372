import { join } from 'node:path';
import type { Summary } from '../experiment/summary.js';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { readCsvRecords } from '../io/csv-records.js';
import { csvLines } from '../io/csv-write.js';
import { checkFolderName, writeResultFolder, type FolderLayout } from '../io/result-folder.js';
import { textTable } from '../report/text-table.js';
import { loadRunSpec, simulateInto, writeRunFolder } from './run-command.js';

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

/**
 * Runs several specs on the same seed, each into DIR/<spec name>/, and tabulates them in
 * DIR/comparison.csv; the folder is written all or nothing, so it holds exactly the runs listed.
 */
export async function compareCommand(specFiles: string[], flags: CompareFlags): Promise<void> {
  // Every spec is loaded and named before anything runs: a bad one costs no simulation.
  const runs = specFiles.map((file) => ({ file, spec: loadRunSpec(file, flags) }));
  const names = new Set<string>();
  for (const { file, spec } of runs) {
    checkFolderName(spec.name, `${file}: name`);
    if (spec.name === COMPARISON_FILE) throw new InputError(`${file}: name "${spec.name}" is the comparison's own file`);
    if (names.has(spec.name)) throw new InputError(`${file}: name "${spec.name}" is already in this comparison`);
    names.add(spec.name);
  }
  const summaries = await writeResultFolder(flags.out, comparisonFolder(flags.out), async (dir) => {
    const done: Summary[] = [];
    for (const { file, spec } of runs) {
      const summary = await writeRunFolder(join(dir, spec.name), (runDir) => simulateInto(spec, file, runDir, { quiet: true }));
      done.push(summary);
      if (!flags.quiet) process.stderr.write(`  ran ${summary.name} (${summary.wallSeconds.toFixed(1)} s)\n`);
    }
    writeFileAtomic(join(dir, COMPARISON_FILE), csvLines([[...COLUMNS], ...done.map((s) => row(s).map((v) => v ?? ''))]));
    return done;
  });
  if (!flags.quiet) process.stdout.write(`${formatTable(summaries)}\nresults in ${flags.out}/\n`);
}

const COMPARISON_FILE = 'comparison.csv';

/** A comparison's folder: comparison.csv (its marker) and the folders of the runs it lists; anything else there is someone else's. */
function comparisonFolder(out: string): FolderLayout {
  const listed = new Set<string>();
  try {
    for (const record of readCsvRecords(join(out, COMPARISON_FILE))) if (record.line > 1) listed.add(record.fields[0]);
  } catch {
    // no earlier comparison here (or not one of ours): no run folders to replace
  }
  return { marker: COMPARISON_FILE, isResult: (name, isDirectory) => (isDirectory ? listed.has(name) : name === COMPARISON_FILE) };
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
