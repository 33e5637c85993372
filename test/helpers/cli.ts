import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `servesim` command (build first: `npm run build`). */
export function servesim(...args: string[]): CliResult {
  const result = spawnSync(process.execPath, ['bin/servesim.js', ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export { tempDir };

/** Writes a spec (an object, or raw text) to a temporary file and returns its path. */
export function writeSpec(spec: unknown, dir = tempDir()): string {
  const path = join(dir, 'spec.json');
  writeFileSync(path, typeof spec === 'string' ? spec : JSON.stringify(spec));
  return path;
}
