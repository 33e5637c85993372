import { provenance, sha256 } from '../experiment/provenance.js';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { checkOutputFolder, writeResultFolder, type FolderLayout } from '../io/result-folder.js';
import { CATALOG } from '../reproductions/catalog.js';
import type { Reproduction, ReproductionAbout, ReproductionOption } from '../reproductions/reproduction.js';
import { startProgress } from './progress.js';

interface ReproduceFlags {
  out?: string;
  quick?: boolean;
  quiet?: boolean;
  /** The paper's own flags. */
  [option: string]: unknown;
}

const EXIT_STATUS = '\nExit status: 0 success, 2 bad input (paper, flag or file), 1 internal error.';

/** The flags every paper takes, then its own. */
function optionsOf(reproduction: ReproductionAbout): ReproductionOption[] {
  const { name } = reproduction;
  return [
    { flags: '-o, --out <dir>', description: `output folder (default: runs/paper/${name}; \`make results\` refreshes the committed results/paper/${name})` },
    { flags: '--quick', description: reproduction.quick },
    { flags: '-q, --quiet', description: 'print nothing on success' },
    ...reproduction.options,
  ];
}

/** `servesim reproduce <paper>`, one subcommand per paper with its own flags, and `servesim reproduce --list`. */
export function addReproduceCommand(program: Command): void {
  const reproduce = program
    .command('reproduce')
    .description(`reproduce a paper's comparison: runs, table.csv, figures and report.html (paper: ${CATALOG.map((p) => p.about.name).join(' or ')})`)
    .argument('[paper]', 'the paper; --list names them')
    .option('--list', 'print each paper with its description and options')
    .addHelpText('after', EXIT_STATUS)
    .action(listPapers);
  for (const { about, load } of CATALOG) {
    const command = reproduce.command(about.name).description(about.description).addHelpText('after', EXIT_STATUS);
    for (const option of optionsOf(about)) {
      if (option.flags.startsWith('-o, --out ')) command.option(option.flags, option.description, (value: string) => checkOutputFolder(value, '--out'));
      else command.option(option.flags, option.description, option.default);
    }
    command.action(async (flags: ReproduceFlags) => reproduceCommand(await load(), flags));
  }
  // After the papers, which would inherit the second: a misspelt paper is named as such, whatever flags follow it.
  reproduce.allowUnknownOption().allowExcessArguments();
}

/** `servesim reproduce` with no paper it knows: --list prints them; anything else is bad input. */
async function listPapers(paper: string | undefined, flags: { list?: boolean }): Promise<void> {
  const names = CATALOG.map((p) => p.about.name).join(', ');
  // Unknown options are let through, so without a paper the first of them arrives in its place.
  if (paper !== undefined && !paper.startsWith('-')) throw new InputError(`reproduce: unknown paper "${paper}"; expected one of ${names}`);
  if (!flags.list) throw new InputError(`reproduce: expected a paper (${names}) or --list`);
  const papers = await Promise.all(CATALOG.map((p) => p.load()));
  const lines = papers.flatMap((reproduction) => {
    const options = optionsOf(reproduction);
    const width = Math.max(...options.map((o) => o.flags.length));
    return [
      `${reproduction.name}: ${reproduction.description}`,
      ...options.map((o) => `  ${o.flags.padEnd(width)}  ${o.description}${o.default === undefined ? '' : ` (default: ${o.default})`}`),
      `  specs: ${reproduction.specs().map((s) => s.name).join(', ')}`,
      '',
    ];
  });
  process.stdout.write(lines.join('\n'));
}

/** Runs one paper's reproduction and writes its report. */
async function reproduceCommand(reproduction: Reproduction, flags: ReproduceFlags): Promise<void> {
  const { out = `runs/paper/${reproduction.name}`, quick = false, quiet = false, ...options } = flags;
  const print = (lines: string[]) => quiet || process.stdout.write(lines.map((line) => `${line}\n`).join(''));
  const lines = await writeResultFolder(out, reproductionFolder(out, options), async (dir) => {
    const progress = quiet ? null : await startProgress();
    let result: unknown;
    try {
      result = await reproduction.run({
        options,
        quick,
        out: dir,
        onProgress: progress?.update ?? (() => {}),
        log: (line) => quiet || process.stderr.write(`${line}\n`),
      });
    } finally {
      progress?.stop();
    }
    return reproduction.report(result, dir, provenance(sha256(JSON.stringify(reproduction.specs()))));
  });
  print(lines);
}

/**
 * A reproduction's folder: its CSVs, cost model, figures and report.html (its marker, which each
 * report writes last). Updated in place, because its files name the folder they are in (report.html
 * names a cost model measured into it) and it may hold another result (results/paper/biathlon/quick/).
 * Files are taken for an earlier reproduction's only beside an earlier report.html, so a folder of
 * the user's own keeps its files; nor is a file the paper's options name as an input.
 */
function reproductionFolder(out: string, options: Record<string, unknown>): FolderLayout {
  const earlier = existsSync(join(out, 'report.html'));
  const inputs = new Set(Object.values(options).filter((value): value is string => typeof value === 'string').map((value) => resolve(value)));
  return {
    marker: 'report.html',
    inPlace: true,
    isResult: (name, isDirectory) => earlier && !isDirectory && /\.(csv|json|svg|png|html)$/.test(name) && !inputs.has(resolve(out, name)),
  };
}
