import { InputError } from '../errors.js';
import type { Spec } from './spec.js';
import { validateSpec } from './spec-issues.js';
import { readSpecFile } from './spec-variants.js';

export { validateSpec };

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
