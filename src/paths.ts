import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The servesim installation: the folder holding package.json, traces/, profiles/ and experiments/. */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
