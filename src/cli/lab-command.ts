import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InputError } from '../errors.js';
import { checkAnswers, findLab, listLabs, readKey } from '../experiment/labs.js';
import { textTable } from '../report/text-table.js';
import { compareCommand } from './compare-command.js';
import { plotRun } from './plot-command.js';
import { loadRunSpec } from './run-command.js';
import { EXIT_WRONG_ANSWERS } from './exit-codes.js';

const shown = (path: string) => relative(process.cwd(), path) || '.';

/** `servesim lab list`: every lab with its folder and specs. */
export function labListCommand(): void {
  const rows = [['lab', 'title', 'folder', 'specs'], ...listLabs().map((lab) => [String(lab.number), lab.title, shown(lab.folder), String(lab.specs.length)])];
  // Left-aligned: titles and folders read as text.
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  process.stdout.write(rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n');
}

/** `servesim lab run N`: every spec of the lab into DIR/<spec name>/ (as `servesim compare` does), each run's timeseries drawn. */
export async function labRunCommand(number: string, flags: { out?: string; workers?: string; quiet?: boolean }): Promise<void> {
  const lab = findLab(number);
  const out = flags.out ?? join('runs', `lab-${lab.number}`);
  await compareCommand(lab.specs, { out, set: [], workers: flags.workers, quiet: flags.quiet });
  for (const file of lab.specs) await plotRun(join(out, loadRunSpec(file, { set: [] }).name));
  if (!flags.quiet) process.stdout.write(`figures: ${shown(out)}/<spec>/timeseries.png; questions: ${shown(join(lab.folder, 'README.md'))}\n`);
}

/** `servesim lab check N ANSWERS.json`: each answer against the key; exit 3 when one is missing or off. */
export function labCheckCommand(number: string, answersFile: string): void {
  const lab = findLab(number);
  const key = readKey(lab);
  let text: string;
  try {
    text = readFileSync(answersFile, 'utf8');
  } catch (error) {
    throw new InputError(`${answersFile}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const verdicts = checkAnswers(key, text, answersFile);
  const rows = verdicts.map(({ question, given, ok }) => [question.id, given === undefined ? '-' : String(given), given === undefined ? 'missing' : ok ? 'ok' : 'outside the tolerance', question.text]);
  const right = verdicts.filter((v) => v.ok).length;
  process.stdout.write(`${textTable(['question', 'answer', 'verdict', 'asked'], rows).join('\n')}\n${right} of ${verdicts.length} within tolerance (lab ${lab.number}: ${key.title})\n`);
  if (right < verdicts.length) process.exitCode = EXIT_WRONG_ANSWERS;
}
