import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { meanInterval, pairRows, PAIRS_HEADER } from '../experiment/paired.js';
import { provenance } from '../experiment/provenance.js';
import { PAIRED_METRICS, SUMMARY_COLUMNS, summaryFigures } from '../experiment/sweep.js';
import type { Summary } from '../experiment/summary.js';
import { InputError } from '../errors.js';
import { readRawSpec } from '../experiment/load-spec.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { readCsvRecords } from '../io/csv-records.js';
import { csvLines } from '../io/csv-write.js';
import { checkFolderName, writeResultFolder, type FolderLayout } from '../io/result-folder.js';
import { textTable } from '../report/text-table.js';
import { parseSeed } from './flags.js';
import { startProgress } from './progress.js';
import { parseWorkers, runOnPool } from './run-pool.js';
import type { RunTask } from './run-worker.js';
import { loadRunSpec } from './run-command.js';

export interface CompareFlags {
  seed?: string;
  seeds?: string;
  workers?: string;
  out: string;
  set: string[];
  quiet?: boolean;
}

const COLUMNS = ['name', 'requests', 'completed', 'dropped', 'mean_ms', 'p99_ms', 'slo_violation_rate', 'mean_cores', 'accuracy'] as const;

/** comparison.csv's row of one spec: its figures, averaged over the seeds it ran on. */
function row(name: string, runs: Summary[]): (string | number)[] {
  const average = (pick: (s: Summary) => number | null) => {
    const values = runs.map(pick);
    return values.some((v) => v === null) ? '' : meanInterval(values as number[]).mean;
  };
  return [name, average((s) => s.requests), average((s) => s.completed), average((s) => s.dropped), average((s) => s.latencyMs.mean), average((s) => s.latencyMs.p99), average((s) => s.sloViolationRate), average((s) => s.meanCores), average((s) => s.accuracy)];
}

/** `--seeds K`: how many seeds each spec runs on. */
function parseSeedCount(text: string | undefined): number {
  if (text === undefined) return 1;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 10000) throw new InputError(`--seeds: expected a whole number of seeds from 1 to 10000, got "${text}"`);
  return n;
}

/**
 * Runs several specs, each into DIR/<spec name>/, on a pool of workers, and tabulates them in
 * DIR/comparison.csv. With `--seeds K` every spec runs on the same K seeds (common random numbers:
 * the same arrivals and service-time streams per seed), each into DIR/<spec>/seed-<s>/, and
 * DIR/pairs.csv gives each pair's paired differences with their 95% intervals. The folder is
 * written all or nothing, so it holds exactly the runs listed.
 */
export async function compareCommand(specFiles: string[], flags: CompareFlags): Promise<void> {
  const count = parseSeedCount(flags.seeds);
  const first = flags.seed === undefined ? (count > 1 ? 1 : undefined) : parseSeed(flags.seed);
  const seeds = first === undefined ? [undefined] : Array.from({ length: count }, (_, k) => first + k);
  const workers = parseWorkers(flags.workers);
  // Every spec is loaded and named before anything runs: a bad one costs no simulation.
  const specs = specFiles.map((file) => ({ file, spec: loadRunSpec(file, { ...flags, seed: first === undefined ? undefined : String(first) }) }));
  const names = new Set<string>();
  for (const { file, spec } of specs) {
    checkFolderName(spec.name, `${file}: name`);
    if (RESULT_FILES.includes(spec.name)) throw new InputError(`${file}: name "${spec.name}" is the comparison's own file`);
    if (names.has(spec.name)) throw new InputError(`${file}: name "${spec.name}" is already in this comparison`);
    names.add(spec.name);
  }
  const folderOf = (name: string, seed: number | undefined) => (count > 1 ? join(name, `seed-${seed}`) : name);
  const results = await writeResultFolder(flags.out, comparisonFolder(flags.out), async (dir) => {
    // The runs land in a scratch folder first and move into place together once all have run.
    const scratch = join(dir, `.runs.${process.pid}.tmp`);
    const command = process.argv.slice(2);
    const tasks: (RunTask & { name: string; seed: number | undefined })[] = specs.flatMap(({ file, spec }) =>
      seeds.map((seed) => ({ name: spec.name, seed, raw: readRawSpec(file, flags.set, seed), specFile: file, dir: join(scratch, folderOf(spec.name, seed)), command })),
    );
    const summaries = new Map<string, Summary>();
    const progress = flags.quiet ? null : await startProgress('compare');
    try {
      mkdirSync(scratch);
      await runOnPool(tasks, workers, (task, summary) => {
        summaries.set(task.dir, summary);
        progress?.update(summaries.size / tasks.length, `${summaries.size}/${tasks.length} runs`);
      });
      for (const { spec } of specs) renameSync(join(scratch, spec.name), join(dir, spec.name));
    } finally {
      progress?.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
    const byName = specs.map(({ spec }) => ({ name: spec.name, runs: tasks.filter((t) => t.name === spec.name).map((t) => summaries.get(t.dir) as Summary) }));
    if (count > 1) {
      const runRows = byName.flatMap(({ name, runs }) => runs.map((s) => [name, s.seed, ...SUMMARY_COLUMNS.map((c) => summaryFigures(s)[c] ?? '')]));
      writeFileAtomic(join(dir, 'runs.csv'), csvLines([['name', 'seed', ...SUMMARY_COLUMNS], ...runRows]));
      const pairs = pairRows(byName.map(({ name, runs }) => ({ label: name, runs: runs.map(summaryFigures) })), PAIRED_METRICS);
      writeFileAtomic(join(dir, 'pairs.csv'), csvLines([[...PAIRS_HEADER], ...pairs]));
      writeFileAtomic(join(dir, 'provenance.json'), `${JSON.stringify(provenance(), null, 2)}\n`);
    }
    writeFileAtomic(join(dir, COMPARISON_FILE), csvLines([[...COLUMNS], ...byName.map(({ name, runs }) => row(name, runs))]));
    return byName;
  });
  if (!flags.quiet) process.stdout.write(`${formatTable(results)}\n${count > 1 ? `${formatPairs(results)}\n` : ''}results in ${flags.out}/\n`);
}

const COMPARISON_FILE = 'comparison.csv';
const RESULT_FILES = [COMPARISON_FILE, 'runs.csv', 'pairs.csv', 'provenance.json'];

/** A comparison's folder: comparison.csv (its marker), its other tables and the folders of the runs it lists; anything else there is someone else's. */
function comparisonFolder(out: string): FolderLayout {
  const listed = new Set<string>();
  try {
    for (const record of readCsvRecords(join(out, COMPARISON_FILE))) if (record.line > 1) listed.add(record.fields[0]);
  } catch {
    // no earlier comparison here (or not one of ours): no run folders to replace
  }
  return { marker: COMPARISON_FILE, isResult: (name, isDirectory) => (isDirectory ? listed.has(name) : RESULT_FILES.includes(name)) };
}

/** A mean over the seeds, with its 95% half-width when there are several. */
function cell(values: (number | null)[], digits: number, scale = 1): string {
  if (values.some((v) => v === null)) return '-';
  const { mean, halfWidth } = meanInterval((values as number[]).map((v) => v * scale));
  return halfWidth === null ? mean.toFixed(digits) : `${mean.toFixed(digits)} ± ${halfWidth.toFixed(digits)}`;
}

function formatTable(results: { name: string; runs: Summary[] }[]): string {
  const header = ['spec', 'requests', 'dropped', 'mean ms', 'p99 ms', 'SLO viol. %', 'mean cores', 'accuracy'];
  const rows = results.map(({ name, runs }) => [
    name,
    cell(runs.map((s) => s.requests), 0),
    cell(runs.map((s) => s.dropped), 0),
    cell(runs.map((s) => s.latencyMs.mean), 1),
    cell(runs.map((s) => s.latencyMs.p99), 1),
    cell(runs.map((s) => s.sloViolationRate), 2, 100),
    cell(runs.map((s) => s.meanCores), 2),
    cell(runs.map((s) => s.accuracy), 4),
  ]);
  return underlined(header, rows);
}

function underlined(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const [headerLine, ...lines] = textTable(header, rows);
  return [headerLine, textTable(header, [widths.map((w) => '-'.repeat(w))])[1], ...lines].join('\n');
}

/** The paired differences of P99, SLO violations and cores, b − a, with their 95% intervals and whether each excludes 0. */
function formatPairs(results: { name: string; runs: Summary[] }[]): string {
  const metrics = ['latency_p99_ms', 'slo_violation_rate', 'mean_cores'];
  const rows = pairRows(results.map(({ name, runs }) => ({ label: name, runs: runs.map(summaryFigures) })), metrics);
  const shown = rows.map((r) => {
    const [a, b, metric, , , , diff, low, high, significant] = r;
    const fmt = (v: string | number) => (typeof v === 'number' ? v.toPrecision(3) : v);
    return [`${b} − ${a}`, String(metric), fmt(diff), low === '' ? '-' : `[${fmt(low)}, ${fmt(high)}]`, significant === 'true' ? 'yes' : 'no'];
  });
  return `\npaired differences over ${results[0].runs.length} seeds (95% intervals; all figures in pairs.csv):\n${underlined(['pair', 'metric', 'mean diff', 'interval', 'significant'], shown)}\n`;
}
