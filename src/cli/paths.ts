import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';

/** The servesim installation (the folder holding package.json, traces/ and experiments/). */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * A data file named in a spec: relative paths are looked up from the working directory, then the
 * spec's folder, then the servesim installation, so shipped specs run from anywhere.
 */
export function resolveDataFile(file: string, specFile: string, field: string): string {
  const candidates = isAbsolute(file) ? [file] : [resolve(file), join(dirname(resolve(specFile)), file), join(packageRoot, file)];
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) throw new InputError(`${specFile}: ${field}: no such file "${file}"`);
  return found;
}
