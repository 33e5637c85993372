import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import type { SpecInput } from './spec.js';

type Named = { name: string };

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const isNamedList = (list: unknown[]): list is Named[] => list.every((item) => isRecord(item) && typeof item.name === 'string');

/**
 * A spec with an override applied: a JSON merge patch (RFC 7386: objects merge key by key, null
 * removes a key, anything else replaces), except that a list of named objects (deployments,
 * pipelines, stages) merges item by item on `name`, as Kubernetes' strategic merge patch does, so
 * an override names the deployment it changes instead of repeating the whole list. Named items
 * the base lacks are appended. Neither argument is modified.
 */
export function mergeOverride(base: unknown, override: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(override) && override.length > 0 && isNamedList(base) && isNamedList(override)) {
    const patched = base.map((item) => {
      const patch = override.find((o) => o.name === item.name);
      return patch === undefined ? item : mergeOverride(item, patch);
    });
    return [...patched, ...override.filter((o) => !base.some((b) => b.name === o.name))];
  }
  if (!isRecord(override)) return override;
  const merged: Record<string, unknown> = isRecord(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete merged[key];
    else merged[key] = mergeOverride(merged[key], value);
  }
  return merged;
}

/** `tick-price.exact.json` overrides `tick-price.json` beside it; a spec's own name has no dot. */
export function overriddenSpec(file: string): string | null {
  const match = /^([^.]+)\..+\.json$/.exec(basename(file));
  return match === null ? null : join(dirname(file), `${match[1]}.json`);
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`${file}: cannot read spec (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text, refuseProtoKeys);
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`${file}: ${error.message}`);
    throw new InputError(`${file}: invalid JSON: ${(error as Error).message}`);
  }
}

/** Keys that would reach an object's prototype when a spec is merged or patched: no spec field has these names. */
const PROTO_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function refuseProtoKeys(key: string, value: unknown): unknown {
  if (PROTO_KEYS.has(key)) throw new InputError(`"${key}": not a spec field (expected the fields in experiments/schema.json)`);
  return value;
}

/** The spec a file stands for: a whole spec, or an override (`<base>.<variant>.json`) applied to its base. Not yet validated. */
export function readSpecFile(file: string): SpecInput {
  const base = overriddenSpec(file);
  return (base === null ? readJson(file) : mergeOverride(readJson(base), readJson(file))) as SpecInput;
}
