import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { Summary } from '../experiment/summary.js';
import { packageRoot } from '../paths.js';
import type { RunOutcome, RunTask } from './run-worker.js';

/** `--workers N`: a whole number of threads; default the machine's cores. */
export function parseWorkers(text: string | undefined): number {
  if (text === undefined) return availableParallelism();
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 1024) throw new InputError(`--workers: expected a whole number from 1 to 1024, got "${text}"`);
  return n;
}

/**
 * Runs simulations on a pool of worker threads (tinypool), `workers` at a time, and calls `onDone`
 * as each finishes, in whatever order they finish; the results do not depend on it. The first
 * failure stops the rest and is thrown (an InputError for bad input, as a single run would).
 */
export async function runOnPool(tasks: readonly RunTask[], workers: number, onDone: (task: RunTask, summary: Summary) => void): Promise<void> {
  if (tasks.length === 0) return;
  // The worker is the built bundle's: the pool starts it as a file of its own.
  const filename = join(packageRoot, 'dist', 'run-worker.js');
  if (!existsSync(filename)) throw new Error(`${filename} is missing: build servesim first (npm run build)`);
  const { Tinypool } = await import('tinypool');
  const threads = Math.min(workers, tasks.length);
  const pool = new Tinypool({ filename, minThreads: threads, maxThreads: threads, isolateWorkers: false });
  let failure: Error | null = null;
  try {
    await Promise.all(
      tasks.map(async (task) => {
        const outcome = (await pool.run(task).catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error), input: false }))) as RunOutcome | undefined;
        if (failure !== null || outcome === undefined) return;
        if ('summary' in outcome) return onDone(task, outcome.summary);
        failure = outcome.input ? new InputError(outcome.error) : new Error(outcome.error);
        pool.cancelPendingTasks();
      }),
    );
  } finally {
    await pool.destroy();
  }
  if (failure !== null) throw failure;
}
