import type { z } from 'zod';
import { InputError } from '../errors.js';
import { specSchema, type Spec } from './spec.js';

// Spec validation with field-named messages; free of file access, so the browser page checks a spec with it too.

/** Validates a spec; a problem in a field an override set is reported with that `--set`, so the user sees which flag to fix. */
export function validateSpec(raw: unknown, file: string, overrides: string[] = []): Spec {
  const result = specSchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const flag = overrides.findLast((assignment) => isAbout(assignment, issue));
  throw new InputError(`${file}: ${flag === undefined ? '' : `--set ${flag}: `}${describeIssue(issue)}`);
}

/**
 * Whether the problem lies in what the assignment set: the value it wrote contains the field at
 * fault, or (for unknown fields) it created the unknown field.
 */
function isAbout(assignment: string, issue: z.core.$ZodIssue): boolean {
  const target = assignment.slice(0, Math.max(0, assignment.indexOf('=')));
  const within = (inner: string, outer: string) => inner === outer || inner.startsWith(`${outer}.`);
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') return issue.keys.some((key) => within(target, path === '' ? key : `${path}.${key}`));
  return within(path, target);
}

/** `deployments[0].serviceTime.mean: expected > 0, got -1`. */
export function describeIssue(issue: z.core.$ZodIssue): string {
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
      if (typeof issue.input === 'number' && issue.expected === 'number') return `expected a finite number, got ${issue.input}`;
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
