import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { packageRoot } from '../paths.js';

/**
 * Course labs: each a folder `labs/NN-<slug>/` holding its handout (README.md), the specs it runs
 * and the instructor's key (key.json): the numeric answers, each with its tolerance and the figure
 * of a run's summary.json it is read from, so a test can check the key against fresh runs.
 */
const toleranceSchema = z.union([z.strictObject({ relative: z.number().nonnegative() }), z.strictObject({ absolute: z.number().nonnegative() })]);

export const keySchema = z.strictObject({
  title: z.string().min(1),
  questions: z
    .array(
      z.strictObject({
        id: z.string().min(1),
        text: z.string().min(1),
        answer: z.number(),
        tolerance: toleranceSchema,
        source: z.strictObject({ run: z.string().min(1), field: z.string().min(1) }),
        note: z.string().optional(),
      }),
    )
    .min(1),
});

export type LabKey = z.infer<typeof keySchema>;
export type Question = LabKey['questions'][number];

export interface Lab {
  number: number;
  folder: string;
  title: string;
  /** The spec files it runs, in name order. */
  specs: string[];
}

/** The labs folder of this servesim installation. */
export const LABS_ROOT = join(packageRoot, 'labs');

/** Every lab (a folder `NN-<slug>` with a handout), in number order. */
export function listLabs(root = LABS_ROOT): Lab[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => /^(\d+)-/.exec(name))
    .filter((match): match is RegExpExecArray => match !== null && existsSync(join(root, match.input, 'README.md')))
    .map((match) => labAt(join(root, match.input), Number(match[1])))
    .sort((a, b) => a.number - b.number);
}

function labAt(folder: string, number: number): Lab {
  const heading = readFileSync(join(folder, 'README.md'), 'utf8').split('\n')[0];
  const title = heading.replace(/^#\s*Lab\s*\d+\s*[—–-]\s*/, '').replace(/^#\s*/, '');
  const specs = readdirSync(folder)
    .filter((name) => name.endsWith('.json') && name !== 'key.json')
    .sort()
    .map((name) => join(folder, name));
  return { number, folder, title, specs };
}

/** Lab N (as `servesim lab run N` names it); an unknown number is bad input listing the labs. */
export function findLab(text: string, root = LABS_ROOT): Lab {
  const labs = listLabs(root);
  const lab = /^\d+$/.test(text) ? labs.find((l) => l.number === Number(text)) : undefined;
  if (lab === undefined) throw new InputError(`lab: expected a lab number, one of ${labs.map((l) => l.number).join(', ')} (servesim lab list), got "${text}"`);
  return lab;
}

export function readKey(lab: Lab): LabKey {
  const file = join(lab.folder, 'key.json');
  const parsed = keySchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Whether `value` is within the question's tolerance of its answer. */
export function withinTolerance(q: Question, value: number): boolean {
  const bound = 'relative' in q.tolerance ? q.tolerance.relative * Math.abs(q.answer) : q.tolerance.absolute;
  return Math.abs(value - q.answer) <= bound + 1e-12;
}

/** The figure a question is read from, in a run's summary (a dotted path, array items by index); undefined where there is none. */
export function figureOf(summary: unknown, field: string): number | undefined {
  let node: unknown = summary;
  for (const key of field.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'number' ? node : undefined;
}

export type Verdict = { question: Question; given: number | undefined; ok: boolean };

/**
 * A student's answers (`{"<id>": number}`) against the key. Bad input: not JSON, not an object,
 * an answer that is not a number, or an id the key does not have.
 */
export function checkAnswers(key: LabKey, answersText: string, file: string): Verdict[] {
  let answers: unknown;
  try {
    answers = JSON.parse(answersText);
  } catch (error) {
    throw new InputError(`${file}: not JSON: ${(error as Error).message}`);
  }
  if (answers === null || typeof answers !== 'object' || Array.isArray(answers)) throw new InputError(`${file}: expected an object of answers, {"<question id>": number, ...}`);
  const ids = new Set(key.questions.map((q) => q.id));
  for (const [id, value] of Object.entries(answers)) {
    if (!ids.has(id)) throw new InputError(`${file}: "${id}": no such question in this lab (expected one of ${[...ids].join(', ')})`);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new InputError(`${file}: "${id}": expected a number, got ${JSON.stringify(value)}`);
  }
  const given = answers as Record<string, number>;
  return key.questions.map((question) => {
    const value = given[question.id];
    return { question, given: value, ok: value !== undefined && withinTolerance(question, value) };
  });
}
