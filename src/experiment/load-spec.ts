import type { z } from 'zod';
import { InputError } from '../errors.js';
import { specSchema, type Spec } from './spec.js';
import { readSpecFile } from './spec-variants.js';

/**
 * Reads, overrides and validates a spec file — a whole spec, or a variant (`<base>.<variant>.json`)
 * applied to its base (see spec-variants.ts); every problem is an InputError naming the file and field.
 */
export function loadSpec(file: string, overrides: string[] = [], seed?: number): Spec {
  return validateSpec(readRawSpec(file, overrides, seed), file, overrides);
}

/** A spec file read with its overrides and seed applied, not yet validated (what a worker thread is handed). */
export function readRawSpec(file: string, overrides: string[] = [], seed?: number): unknown {
  const raw: unknown = readSpecFile(file);
  for (const assignment of overrides) applyOverride(raw, assignment);
  if (seed !== undefined && raw !== null && typeof raw === 'object') (raw as Record<string, unknown>).seed = seed;
  return raw;
}

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

/** Keys that would write through to an object's prototype instead of setting a field of the spec. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const isContainer = (node: unknown): node is Record<string, unknown> | unknown[] => node !== null && typeof node === 'object';

/**
 * `--set deployments.0.replicas=8`: the value is read as JSON when it parses, else as a string.
 * The path walks the spec's own fields: an array step must be an index the array has (a typo
 * would otherwise write a stray field the schema never sees), and a missing object field is
 * created (so an optional section can be set), but never one of the prototype's keys.
 */
export function applyOverride(raw: unknown, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new InputError(`--set ${assignment}: expected path=value`);
  const keys = assignment.slice(0, eq).split('.');
  const text = assignment.slice(eq + 1);
  const fail = (why: string) => new InputError(`--set ${assignment}: ${why}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  let node: unknown = raw;
  keys.forEach((key, i) => {
    const at = keys.slice(0, i).join('.') || '(top level)';
    if (key === '') throw fail('expected a path of field names and indices separated by single dots');
    if (PROTOTYPE_KEYS.has(key)) throw fail(`"${key}" is not a field of a spec`);
    if (!isContainer(node)) throw fail(`"${at}" is ${JSON.stringify(node)}, not an object or array in the spec`);
    const last = i === keys.length - 1;
    if (Array.isArray(node)) {
      if (!/^(0|[1-9]\d*)$/.test(key) || Number(key) >= node.length) {
        const n = node.length;
        const expected = n === 0 ? 'an empty list: no index to set' : n === 1 ? 'a list of 1 item: expected index 0' : `a list of ${n} items: expected an index from 0 to ${n - 1}`;
        throw fail(`"${at}" is ${expected}, got "${key}"`);
      }
      if (last) node[Number(key)] = value;
      else node = node[Number(key)];
      return;
    }
    if (last) node[key] = value;
    else {
      // Only own fields are walked into: `toString` and the like are the prototype's, not the spec's.
      if (!Object.hasOwn(node, key)) node[key] = {};
      node = node[key];
    }
  });
}
