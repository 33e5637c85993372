// The browser build's host: esbuild puts this module in place of src/io/node-host.ts
// (scripts/build-web.mjs). The page ships traces/ and profiles/ under data/ next to the worker, and
// the listing of them (path → bytes) is written into the bundle at build time; a file is fetched
// on its first read, with a synchronous request (allowed in a Web Worker, where the engine runs).
import MultivariateLinearRegression from 'ml-regression-multivariate-linear';
import * as randomForest from 'ml-random-forest';
import { MemoryHost } from '../src/web/memory-host.js';

declare const SERVESIM_DATA_FILES: Record<string, number>;

/** Where the shipped files appear to the engine: a spec's `traces/…` resolves under it. */
export const BROWSER_ROOT = '/servesim';

function fetchText(path: string): string {
  const request = new XMLHttpRequest();
  request.open('GET', new URL(`data${path.slice(BROWSER_ROOT.length)}`, globalThis.location.href).href, false);
  request.send();
  if (request.status !== 200) throw Object.assign(new Error(`HTTP ${request.status}: ${path}`), { code: 'ENOENT' });
  return request.responseText;
}

const listing = Object.fromEntries(Object.entries(SERVESIM_DATA_FILES).map(([file, bytes]) => [`${BROWSER_ROOT}/${file}`, bytes]));

export const nodeHost = new MemoryHost(BROWSER_ROOT, listing, fetchText, {
  'ml-regression-multivariate-linear': MultivariateLinearRegression,
  'ml-random-forest': randomForest,
});
