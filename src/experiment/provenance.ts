import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import type { Spec } from './spec.js';

/** Where a result came from: the servesim that made it, the command, and the spec it ran. */
export interface Provenance {
  servesim: string;
  /** The git commit of the servesim checkout, with "-dirty" when its code or inputs have uncommitted changes; null outside a git checkout (an installed package). */
  commit: string | null;
  /** The command line after `servesim`. */
  command: string[];
  /** SHA-256 of the validated spec (or of the sweep's runs), so two results can be told to come from the same input. */
  specSha256?: string;
}

let cached: { servesim: string; commit: string | null } | null = null;

function build(): { servesim: string; commit: string | null } {
  if (cached !== null) return cached;
  const servesim = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  let commit: string | null = null;
  try {
    const git = (...args: string[]) => execFileSync('git', ['-C', packageRoot, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    // Only the checkout servesim itself lives in: not a repository the package happens to be installed inside.
    // Dirty: the code or its inputs differ from the commit (not results/, which `make results` rewrites as it goes).
    const inputs = ['src', 'profiles', 'traces', 'experiments', 'package-lock.json'];
    if (git('rev-parse', '--show-toplevel') === realpathSync(packageRoot)) commit = git('rev-parse', 'HEAD') + (git('status', '--porcelain', '--untracked-files=no', '--', ...inputs) === '' ? '' : '-dirty');
  } catch {
    // no git, or not a checkout
  }
  cached = { servesim, commit };
  return cached;
}

/** The provenance of this process's results; `command` defaults to this process's arguments. */
export function provenance(specSha256?: string, command: string[] = process.argv.slice(2)): Provenance {
  return { ...build(), command, ...(specSha256 === undefined ? {} : { specSha256 }) };
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A spec's digest: of the validated spec, so two files that say the same thing hash alike. */
export const specHash = (spec: Spec) => sha256(JSON.stringify(spec));
