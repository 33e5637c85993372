import { host } from './files.js';

/**
 * POSIX path joining and resolution without `node:path`, for code that also runs in the browser;
 * the results are node:path's on Linux (`posix.join`, `posix.resolve`).
 */

/** Resolves `.` and `..` segments and repeated slashes (node:path's normalizeString). */
function normalizeSegments(path: string, allowAboveRoot: boolean): string {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (allowAboveRoot) out.push('..');
      continue;
    }
    out.push(segment);
  }
  return out.join('/');
}

/** `path.posix.normalize`. */
export function normalizePath(path: string): string {
  if (path === '') return '.';
  const absolute = path.startsWith('/');
  const trailing = path.endsWith('/');
  let body = normalizeSegments(path, !absolute);
  if (body === '' && !absolute) body = '.';
  if (body !== '' && trailing) body += '/';
  return absolute ? `/${body}` : body;
}

/** `path.posix.join`. */
export function joinPath(...parts: string[]): string {
  const joined = parts.filter((part) => part !== '').join('/');
  return joined === '' ? '.' : normalizePath(joined);
}

/** `path.posix.resolve`: against the host's working directory. */
export function resolvePath(...parts: string[]): string {
  let resolved = '';
  let absolute = false;
  for (let i = parts.length - 1; i >= -1 && !absolute; i--) {
    const part = i >= 0 ? parts[i] : host().cwd();
    if (part === '') continue;
    resolved = `${part}/${resolved}`;
    absolute = part.startsWith('/');
  }
  const body = normalizeSegments(resolved, !absolute);
  return absolute ? `/${body}` : body === '' ? '.' : body;
}
