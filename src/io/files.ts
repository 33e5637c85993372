import { nodeHost } from './node-host.js';

/** A block of a text file that ends at a line end (the last one at the end of the file). */
export interface LineBlock {
  text: string;
  /** Bytes of the file read so far, this block included. */
  bytesRead: number;
}

/**
 * What the simulation needs from the machine it runs on: reading the shipped and named data files,
 * the working directory, and loading code. Node reads the file system (src/io/node-host.ts); the
 * browser build swaps that module for one that serves the files the page ships (web/browser-host.ts).
 */
export interface Host {
  /** The file's text (UTF-8); throws an error with a `code` (ENOENT, EISDIR, …) when it cannot. */
  readText(path: string): string;
  /** Whether something (a file or a folder) is at the path. */
  exists(path: string): boolean;
  /** The file's size in bytes. */
  size(path: string): number;
  /** The file's text in blocks of about `blockBytes` that each end at a line end; an InputError when it cannot be read. */
  lineBlocks(path: string, blockBytes: number): Generator<LineBlock>;
  /** The working directory, an absolute path. */
  cwd(): string;
  /** The installation folder (holding traces/, profiles/) of a module one folder below it. */
  rootOf(moduleUrl: string): string;
  /** A CommonJS package, loaded on first use. */
  requirePackage(name: string): unknown;
  /** A policy module's default export. */
  importDefault(path: string): Promise<unknown>;
}

let current: Host = nodeHost;

/** The host the simulation runs on. */
export function host(): Host {
  return current;
}

/** Replaces the host (for a test, or an embedding that serves its own files); returns the previous one. */
export function setHost(next: Host): Host {
  const previous = current;
  current = next;
  return previous;
}
