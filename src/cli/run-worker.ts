import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { InputError } from '../errors.js';
import { validateSpec } from '../experiment/load-spec.js';
import type { Summary } from '../experiment/summary.js';
import { simulateInto, writeSummary } from './run-command.js';

/** One simulated run for a worker thread: the spec as read and overridden, and the folder its results go to. */
export interface RunTask {
  raw: unknown;
  specFile: string;
  dir: string;
  /** The command line of the process that asked for it (provenance). */
  command: string[];
}

export type RunOutcome = { summary: Summary } | { error: string; input: boolean };

/** A run's folder while it is written, beside it: its name tells which process and thread own it. */
export const stagingName = (dir: string) => join(dirname(dir), `.${basename(dir)}.${process.pid}-${threadId}.tmp`);

/**
 * Simulates one run into `task.dir`: written in a staging folder beside it and renamed into place
 * once summary.json is in, so a folder with summary.json is always a complete run (what --resume
 * skips), whatever killed the process. A problem comes back as data: the pool would lose the error's class.
 */
export default async function runTask(task: RunTask): Promise<RunOutcome> {
  const staging = stagingName(task.dir);
  try {
    const spec = validateSpec(task.raw, task.specFile);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const summary = writeSummary(staging, spec, await simulateInto(spec, task.specFile, staging, { quiet: true }), task.command);
    rmSync(task.dir, { recursive: true, force: true });
    renameSync(staging, task.dir);
    return { summary };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    return { error: error instanceof Error ? error.message : String(error), input: error instanceof InputError };
  }
}
