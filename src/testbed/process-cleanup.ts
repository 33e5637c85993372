import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What this process leaves behind it, undone when it ends: the server processes it started and
 * the temporary folders it made. On a normal exit, an error or a SIGINT, SIGTERM or SIGHUP the
 * servers are sent SIGTERM and the folders removed. A SIGKILL runs no handler at all: the servers
 * then find out by themselves, as their stdin pipe from this process closes (model-server.ts).
 */
const children = new Set<ChildProcess>();
const folders = new Set<string>();
let installed = false;

function undoAll(): void {
  for (const child of children) child.kill('SIGTERM');
  children.clear();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  folders.clear();
}

/** Signals that end the process; it exits with 128 + the signal's number, as a shell reports it. */
const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', undoAll);
  for (const [signal, number] of Object.entries(SIGNAL_NUMBERS)) {
    process.on(signal, () => {
      undoAll();
      process.exit(128 + number);
    });
  }
}

/** A server process to stop if this process ends before it does. */
export function trackChild(child: ChildProcess): void {
  install();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** A new folder under the system's temporary folder, removed by `remove()` or when this process ends. */
export function temporaryFolder(prefix: string): { path: string; remove(): void } {
  install();
  const path = mkdtempSync(join(tmpdir(), prefix));
  folders.add(path);
  return {
    path,
    remove: () => {
      folders.delete(path);
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** Runs `task` with a temporary folder that is removed when it settles, whether it succeeded or failed. */
export async function withTemporaryFolder<T>(prefix: string, task: (path: string) => Promise<T>): Promise<T> {
  const folder = temporaryFolder(prefix);
  try {
    return await task(folder.path);
  } finally {
    folder.remove();
  }
}
