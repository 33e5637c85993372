import type { z } from 'zod';
import { InputError } from '../errors.js';
import { specSchema, type Spec } from './spec.js';
import { readSpecFile } from './spec-variants.js';

/**
 * Reads, overrides and validates a spec file — a whole spec, or a variant (`<base>.<variant>.json`)
 * applied to its base (see spec-variants.ts); every problem is an InputError naming the file and field.
 */
export function loadSpec(file: string, overrides: string[] = [], seed?: number): Spec {
  const raw: unknown = readSpecFile(file);
  for (const assignment of overrides) applyOverride(raw, assignment);
  if (seed !== undefined && raw !== null && typeof raw === 'object') (raw as Record<string, unknown>).seed = seed;
  return validateSpec(raw, file);
}

export function validateSpec(raw: unknown, file: string): Spec {
  const result = specSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new InputError(`${file}: ${describeIssue(result.error.issues[0])}`);
  return result.data;
}

/** `deployments[0].serviceTime.mean: expected > 0, got -1`. */
function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_union' && !('options' in issue && issue.options) && issue.errors.length > 0) {
    // A plain union: report the branch that got furthest into the value.
    const deepest = issue.errors.flat().reduce((a, b) => (b.path.length > a.path.length ? b : a));
    return describeIssue({ ...deepest, path: [...issue.path, ...deepest.path] });
  }
  const path = issue.path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`),
    '',
  );
  return `${path === '' ? '(top level)' : path}: ${issueMessage(issue)}`;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? `required, expected ${issue.expected}` : `expected ${issue.expected}, got ${show(issue.input)}`;
    case 'too_small':
      return `expected ${issue.origin === 'array' ? 'at least' : issue.inclusive ? '≥' : '>'} ${issue.minimum}${issue.origin === 'array' ? ' items' : ''}, got ${show(issue.input)}`;
    case 'too_big':
      return `expected ${issue.inclusive ? '≤' : '<'} ${issue.maximum}, got ${show(issue.input)}`;
    case 'unrecognized_keys':
      return `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_union':
      if ('options' in issue && issue.options) {
        // The input is the whole object; show the discriminator's own value.
        const value = issue.discriminator === undefined ? issue.input : (issue.input as Record<string, unknown>)?.[issue.discriminator];
        return `expected one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}, got ${show(value)}`;
      }
      return issue.message;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${show(issue.input)}`;
    default:
      return issue.message;
  }
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `--set deployments.0.replicas=8`: the value is read as JSON when it parses, else as a string. */
export function applyOverride(raw: unknown, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new InputError(`--set ${assignment}: expected path=value`);
  const keys = assignment.slice(0, eq).split('.');
  const text = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  let node = raw;
  for (let i = 0; i < keys.length - 1; i++) {
    if (node === null || typeof node !== 'object') break;
    const record = node as Record<string, unknown>;
    if (record[keys[i]] === undefined) record[keys[i]] = /^\d+$/.test(keys[i + 1]) ? [] : {};
    node = record[keys[i]];
  }
  if (node === null || typeof node !== 'object') {
    throw new InputError(`--set ${assignment}: "${keys.slice(0, -1).join('.')}" is not an object or array in the spec`);
  }
  (node as Record<string, unknown>)[keys[keys.length - 1]] = value;
}
