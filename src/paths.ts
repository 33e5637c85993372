import { host } from './io/files.js';

/** The servesim installation: the folder holding package.json, traces/, profiles/ and experiments/. */
export const packageRoot = host().rootOf(import.meta.url);
