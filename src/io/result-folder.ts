import * as fs from 'node:fs';
import { constants, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as pathModule from 'node:path';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { isProcessRunning, removeLeftovers, startJanitor, type Janitor } from './leftovers.js';

/**
 * A result folder written all or nothing (README, "Running a spec"):
 * - the new results are written into a fresh staging folder beside the target and renamed into
 *   place whole, so a reader sees the old results or the new ones, never a mix; where the folder
 *   holds things that are not this command's results (the user's files, another result inside it),
 *   or the command's files name the folder they are in, it is updated in place instead: the old
 *   marker (`summary.json`, …) and the rest of the old results go first, and the marker is written last;
 * - a lock beside the folder names the pid writing it: a second writer is bad input, a lock whose
 *   process is gone is stale and removed;
 * - leftovers of writers that are gone are removed on opening, and a janitor process removes this
 *   process's own if it dies on the way (`leftovers.ts`).
 */

export interface FolderLayout {
  /** The file whose presence means the folder holds a complete result; the command writes it last. */
  marker: string;
  /**
   * Whether an entry found in the folder is part of an earlier result of this kind, to be replaced
   * or removed; anything else is someone else's and is kept.
   */
  isResult: (name: string, isDirectory: boolean) => boolean;
  /** Write in the folder itself even where it could be replaced whole: for results that name the folder they are in. */
  inPlace?: boolean;
}

/** Folders open in this process, innermost last: an inner one is watched by the janitor of the outer. */
const openFolders: ResultFolder[] = [];
let exitHookInstalled = false;

export class ResultFolder {
  /** Where the command writes its results: the staging folder, or the folder itself when updated in place. */
  readonly dir: string;
  private readonly real: string;
  private readonly staging: string | null;
  private readonly lock: string;
  private readonly janitor: Janitor | null;
  /** In place: the entries there before this run wrote anything, to tell what it wrote if it fails. */
  private readonly before = new Map<string, string>();
  /** Result folders written inside this one (a comparison's runs). */
  private readonly written = new Set<string>();
  private closed = false;

  constructor(
    /** The folder as the user named it. */
    readonly path: string,
    private readonly layout: FolderLayout,
  ) {
    checkOutputFolder(path);
    const absolute = resolve(path);
    const parent = createFolder(dirname(absolute), path);
    this.real = exists(absolute) ? realpathSync(absolute) : join(realpathSync(parent), basename(absolute));
    const realParent = dirname(this.real);
    const parentWritable = this.real !== realParent && writable(realParent);
    if (!parentWritable) createFolder(this.real, path);
    this.lock = parentWritable ? join(realParent, `.${basename(this.real)}.lock`) : join(this.real, '.servesim.lock');

    const outer = openFolders.find((f) => isInside(this.real, f.real) || (f.staging !== null && isInside(this.real, f.staging)));
    this.janitor = outer === undefined ? startJanitor(this.real) : null;
    try {
      acquireLock(this.lock, this.real, path);
      removeLeftovers(fs, pathModule, this.real, (pid) => !isProcessRunning(pid));
      const replaceWhole = parentWritable && !layout.inPlace && this.holdsOnlyResults();
      if (replaceWhole) {
        this.staging = join(realParent, `.${basename(this.real)}.${process.pid}.tmp`);
        mkdirSync(this.staging);
        this.dir = this.staging;
      } else {
        this.staging = null;
        createFolder(this.real, path);
        // The old marker first: from here on the folder does not look complete.
        rmSync(join(this.real, layout.marker), { force: true });
        for (const entry of this.entries()) if (this.isResult(entry)) rmSync(join(this.real, entry), { recursive: true, force: true });
        for (const entry of this.entries()) this.before.set(entry, identity(join(this.real, entry)));
        this.dir = path;
      }
    } catch (error) {
      this.release();
      throw error;
    }
    openFolders.push(this);
    installExitHook();
  }

  /** Puts the new results in place: the staging folder replaces the folder whole. */
  commit(): void {
    if (this.closed) return;
    if (this.staging !== null) {
      if (exists(this.real)) {
        // Anything someone else put in the folder meanwhile goes along with the new results.
        for (const entry of this.entries()) {
          if (!this.isResult(entry) && !isOurs(entry) && !exists(join(this.staging, entry))) renameSync(join(this.real, entry), join(this.staging, entry));
        }
        const old = join(dirname(this.real), `.${basename(this.real)}.${process.pid}.old`);
        renameSync(this.real, old);
        try {
          renameSync(this.staging, this.real);
        } catch (error) {
          renameSync(old, this.real);
          throw error;
        }
        rmSync(old, { recursive: true, force: true });
      } else {
        renameSync(this.staging, this.real);
      }
    }
    const outer = openFolders.find((f) => f !== this && (dirname(this.real) === f.real || dirname(this.real) === f.staging));
    outer?.written.add(basename(this.real));
    this.release();
  }

  /** Leaves the folder as it was (in place: without the old results, whose marker is gone, and without anything of this run). */
  abort(): void {
    if (this.closed) return;
    try {
      if (this.staging !== null) rmSync(this.staging, { recursive: true, force: true });
      else {
        // What this run wrote: files new or changed since it began, and the folders written inside it.
        for (const entry of this.entries()) {
          const full = join(this.real, entry);
          const wrote = isTemporaryOf(entry, process.pid) || this.written.has(entry) || (!isOurs(entry) && !isDirectory(full) && this.before.get(entry) !== identity(full));
          if (wrote) rmSync(full, { recursive: true, force: true });
        }
      }
    } finally {
      this.release();
    }
  }

  private release(): void {
    this.closed = true;
    const index = openFolders.indexOf(this);
    if (index >= 0) openFolders.splice(index, 1);
    try {
      if (readFileSync(this.lock, 'utf8').trim() === String(process.pid)) rmSync(this.lock, { force: true });
    } catch {
      // never taken
    }
    this.janitor?.dismiss();
  }

  private entries(): string[] {
    try {
      return readdirSync(this.real);
    } catch {
      return [];
    }
  }

  private isResult(entry: string): boolean {
    return this.layout.isResult(entry, isDirectory(join(this.real, entry)));
  }

  /**
   * Whether the folder is missing or holds nothing but an earlier result, so it can be replaced
   * whole: not a mount point (a rename cannot cross it), nor the working folder or one above it
   * (which would leave the shell in a deleted folder).
   */
  private holdsOnlyResults(): boolean {
    if (!exists(this.real)) return true;
    if (statSync(this.real).dev !== statSync(dirname(this.real)).dev) return false;
    const cwd = realpathSync(process.cwd());
    if (cwd === this.real || isInside(cwd, this.real)) return false;
    return this.entries().every((entry) => this.isResult(entry));
  }
}

/**
 * Writes a result folder all or nothing: `write` writes into the folder it is given (its marker
 * last); on success the results are put in place, on failure the folder is left as it was.
 */
export async function writeResultFolder<T>(folder: string, layout: FolderLayout, write: (dir: string) => Promise<T> | T): Promise<T> {
  const open = new ResultFolder(folder, layout);
  try {
    const result = await write(open.dir);
    open.commit();
    return result;
  } catch (error) {
    open.abort();
    throw error;
  }
}

/**
 * A name that becomes one folder under an output root (a spec's name): it must not be empty,
 * ".", "..", or hold "/", "\" or NUL, which would lead outside the root or nowhere. Rejected
 * rather than rewritten, because two rewritten names could land in one folder, and the user who
 * wrote "a/b" may have meant a nested folder: `--out` says that plainly.
 */
export function checkFolderName(name: string, field: string): string {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new InputError(`${field}: ${JSON.stringify(name)} cannot name a folder: expected no "/", "\\" or NUL, and not "", "." or ".." (--out chooses any folder)`);
  }
  if (isOurs(name)) throw new InputError(`${field}: ${JSON.stringify(name)} cannot name a folder: names ending in .lock, .<digits>.tmp or .<digits>.old are servesim's temporaries`);
  return name;
}

/** An output folder that exists as a folder we may write in, or could be created: else bad input naming it. */
export function checkOutputFolder(folder: string, flag?: string): string {
  const what = flag === undefined ? folder : `${flag} ${folder}`;
  const absolute = resolve(folder);
  if (exists(absolute)) {
    if (!isDirectory(absolute)) throw new InputError(`${what}: is a file, expected a folder`);
    if (!writable(absolute)) throw new InputError(`${what}: cannot write in this folder (permission denied)`);
    return folder;
  }
  checkCreatable(absolute, folder, what);
  return folder;
}

/** An output file that could be written: not a folder, and in a folder that exists or could be created. */
export function checkOutputFile(file: string, flag?: string): string {
  const what = flag === undefined ? file : `${flag} ${file}`;
  const absolute = resolve(file);
  if (exists(absolute)) {
    if (isDirectory(absolute)) throw new InputError(`${what}: is a folder, expected a file`);
    return file;
  }
  checkCreatable(absolute, file, what);
  return file;
}

/** Whether a missing path could be created: its nearest existing ancestor is a folder we may write in. */
function checkCreatable(absolute: string, given: string, what: string): void {
  let ancestor = dirname(absolute);
  while (!exists(ancestor) && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor);
  const shown = isAbsolute(given) ? ancestor : relative(process.cwd(), ancestor) || '.';
  if (!isDirectory(ancestor)) throw new InputError(`${what}: cannot be created: ${shown} is a file`);
  if (!writable(ancestor)) throw new InputError(`${what}: cannot be created: no permission to write in ${shown}`);
}

/** Makes a folder (and its parents); a failure is bad input naming the folder asked for. */
function createFolder(folder: string, given: string): string {
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw new InputError(`${given}: cannot create the folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return folder;
}

/**
 * Takes the lock of the folder `real`: its pid is written to a claim file that is then hard-linked
 * to the lock's name, so the lock appears whole or not at all and only one process gets it.
 */
function acquireLock(lock: string, real: string, given: string): void {
  const claim = `${lock}.${process.pid}.tmp`;
  try {
    writeFileSync(claim, `${process.pid}\n`);
  } catch (error) {
    throw new InputError(`${given}: cannot write here (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    for (let attempt = 0; attempt < 4; attempt++) {
      if (createLock(claim, lock)) return;
      const holder = Number(readText(lock)?.trim());
      if (isProcessRunning(holder)) {
        throw new InputError(`${given}: in use by servesim process ${holder} (its lock is ${lock}); wait for it to finish, or delete the lock if that process is not servesim`);
      }
      removeLeftovers(fs, pathModule, real, (pid) => !isProcessRunning(pid));
    }
    throw new InputError(`${given}: could not take its lock ${lock}`);
  } finally {
    rmSync(claim, { force: true });
  }
}

/** Creates the lock from the claim; false if it exists already. */
function createLock(claim: string, lock: string): boolean {
  try {
    linkSync(claim, lock);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
  }
  // No hard links on this file system: an exclusive create does nearly as well.
  try {
    writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Whatever ends the process, its open folders are left as they were (process.exit skips `finally`). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const folder of [...openFolders].reverse()) folder.abort();
  });
}

/** Locks and temporaries: servesim's own, never part of a result or someone else's. */
const isOurs = (entry: string) => /\.lock$|\.\d+\.(tmp|old)$/.test(entry);

const isTemporaryOf = (entry: string, pid: number) => entry.endsWith(`.${pid}.tmp`) || entry.endsWith(`.${pid}.old`);

/** What tells one version of an entry from the next: an atomic rewrite gives a new inode, a rewrite in place a new mtime. */
function identity(full: string): string {
  try {
    const stat = lstatSync(full);
    return `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
  } catch {
    return '';
  }
}

/** The entry's stat, or undefined where there is none (a file on the way, ENOTDIR, counts as none). */
function statOf(full: string): fs.Stats | undefined {
  try {
    return statSync(full);
  } catch {
    return undefined;
  }
}

function exists(full: string): boolean {
  return statOf(full) !== undefined;
}

function isDirectory(full: string): boolean {
  return statOf(full)?.isDirectory() ?? false;
}

function writable(dir: string): boolean {
  try {
    fs.accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
