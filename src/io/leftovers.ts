import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * What writers of a result folder leave while they work, each named with the writer's pid so that
 * whoever finds it can tell whether its writer is still there:
 * - `<parent>/.<folder>.<pid>.tmp/`: the new results, staged beside the folder they will replace;
 * - `<parent>/.<folder>.<pid>.old/`: the previous results, moved aside for a moment while replaced;
 * - `<file>.<pid>.tmp`: a file being written atomically (`AtomicFile`), and `.<entry>.<pid>.tmp|old`
 *   for an entry replaced inside the folder;
 * - `<parent>/.<folder>.lock` (or `<folder>/.servesim.lock`): the pid of the process writing the folder.
 */

const HAS_PROC = fs.existsSync('/proc/self/stat');

/** Whether a process is still running: it exists and has not exited (a zombie has, though nobody has reaped it yet). */
export function isProcessRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!HAS_PROC) return true;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Removes what writers of the result folder `target` that are gone (`isGone(pid)`) left behind:
 * their staging folders and temporary files, and their locks; a previous copy moved aside by a
 * replacement cut short goes back in place if nothing replaced it. Leftovers of live writers are
 * not touched.
 *
 * Self-contained, with `fs` and `path` passed in, because it is also the janitor's program (its
 * source is run by `node -e`): it may refer to nothing outside itself.
 */
export function removeLeftovers(fsModule: typeof fs, pathModule: typeof path, target: string, isGone: (pid: number) => boolean): void {
  const list = (dir: string): string[] => {
    try {
      return fsModule.readdirSync(dir);
    } catch {
      return [];
    }
  };
  const remove = (leftover: string) => {
    try {
      fsModule.rmSync(leftover, { recursive: true, force: true });
    } catch {
      // another cleaner got there first
    }
  };
  // In `dir`: `<name>.<pid>.tmp` goes; `.<name>.<pid>.old` goes back to `<name>` if that is missing.
  // `only` limits it to the leftovers of one entry of `dir` (and of its lock).
  const clear = (dir: string, only?: string) => {
    for (const entry of list(dir)) {
      const match = /^(.+)\.(\d+)\.(tmp|old)$/.exec(entry);
      if (match === null || !isGone(Number(match[2]))) continue;
      const hidden = match[1].startsWith('.');
      const original = hidden ? match[1].slice(1) : match[1];
      if (only !== undefined && !(hidden && (original === only || original === `${only}.lock`))) continue;
      const leftover = pathModule.join(dir, entry);
      if (match[3] === 'old' && hidden && !fsModule.existsSync(pathModule.join(dir, original))) {
        try {
          fsModule.renameSync(leftover, pathModule.join(dir, original));
          continue;
        } catch {
          // could not put it back: it goes
        }
      }
      remove(leftover);
    }
  };
  const read = (file: string): string | null => {
    try {
      return fsModule.readFileSync(file, 'utf8');
    } catch {
      return null;
    }
  };
  // A lock is moved aside before it is removed, so that of two processes clearing it only one
  // does, and a lock a live writer took in the meantime is put back.
  const releaseLock = (lock: string) => {
    const holder = read(lock);
    if (holder === null || !isGone(Number(holder.trim()))) return;
    const aside = `${lock}.${process.pid}.tmp`;
    try {
      fsModule.renameSync(lock, aside);
    } catch {
      return;
    }
    if (read(aside) !== holder) {
      try {
        fsModule.linkSync(aside, lock);
      } catch {
        // someone holds the lock again; the one moved aside was stale after all
      }
    }
    remove(aside);
  };
  const parent = pathModule.dirname(target);
  const base = pathModule.basename(target);
  clear(parent, base);
  clear(target);
  releaseLock(pathModule.join(parent, `.${base}.lock`));
  for (const entry of list(target)) if (/^\..+\.lock$/.test(entry)) releaseLock(pathModule.join(target, entry));
}

/** Clears, the moment its parent dies, what that parent left in one result folder: started with the parent's pid and the folder. */
const JANITOR_PROGRAM = `
const [parentPid, target] = process.argv.slice(1);
let dismissed = false;
process.stdin.on('data', (text) => { if (String(text).includes('dismissed')) dismissed = true; });
process.stdin.on('close', () => {
  if (!dismissed) (${removeLeftovers.toString()})(require('node:fs'), require('node:path'), target, (pid) => pid === Number(parentPid));
});
`;

export interface Janitor {
  /** The parent finished with the folder: the janitor leaves without clearing anything. */
  dismiss(): void;
}

/**
 * Starts a janitor for the result folder `target`: a small process of its own (in its own process
 * group, so a Ctrl-C or a kill of this one's group spares it) that waits on a pipe from this
 * process. When this process dies, however it dies — SIGINT, SIGTERM, SIGKILL, out of memory —
 * the pipe closes and the janitor removes its temporaries and its lock. It is needed because a
 * signal handler here would not run until the simulation's synchronous loop yields. Null if it
 * cannot be started: leftovers are then cleared by the next writer of the folder.
 */
export function startJanitor(target: string): Janitor | null {
  try {
    const child = spawn(process.execPath, ['-e', JANITOR_PROGRAM, String(process.pid), target], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('error', () => {});
    const pipe = child.stdin;
    if (pipe === null) return null;
    pipe.on('error', () => {});
    child.unref();
    (pipe as unknown as { unref(): void }).unref();
    return { dismiss: () => pipe.end('dismissed\n') };
  } catch {
    return null;
  }
}
