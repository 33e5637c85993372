import { InputError } from '../errors.js';
import type { Host, LineBlock } from '../io/files.js';
import { normalizePath } from '../io/path.js';

const failure = (code: string, path: string) => Object.assign(new Error(`${code}: ${path}`), { code });

/**
 * A host whose files are a listing known in advance (path → size in bytes), their texts added
 * up front or fetched on first read by `load`. Paths are absolute, under `root`, which is also the
 * working directory: a spec's `traces/…` names the shipped trace. Nothing is written, and no code
 * is loaded from files.
 */
export class MemoryHost implements Host {
  private readonly texts = new Map<string, string>();
  private readonly folders = new Set<string>();

  constructor(
    readonly root: string,
    private readonly listing: Record<string, number>,
    private readonly load: (path: string) => string = (path) => {
      throw failure('ENOENT', path);
    },
    private readonly packages: Record<string, unknown> = {},
  ) {
    for (const file of Object.keys(listing)) {
      for (let cut = file.lastIndexOf('/'); cut > 0; cut = file.lastIndexOf('/', cut - 1)) this.folders.add(file.slice(0, cut));
    }
    this.folders.add(root);
  }

  /** Adds (or replaces) a file. */
  add(path: string, text: string): void {
    const file = normalizePath(path);
    this.texts.set(file, text);
    this.listing[file] = new TextEncoder().encode(text).length;
  }

  readText(path: string): string {
    const file = normalizePath(path);
    if (this.folders.has(file)) throw failure('EISDIR', path);
    if (!Object.hasOwn(this.listing, file)) throw failure('ENOENT', path);
    let text = this.texts.get(file);
    if (text === undefined) {
      text = this.load(file);
      this.texts.set(file, text);
    }
    return text;
  }

  exists(path: string): boolean {
    const file = normalizePath(path);
    return Object.hasOwn(this.listing, file) || this.folders.has(file);
  }

  size(path: string): number {
    const file = normalizePath(path);
    if (!Object.hasOwn(this.listing, file)) throw failure('ENOENT', path);
    return this.listing[file];
  }

  *lineBlocks(path: string, blockBytes: number): Generator<LineBlock> {
    if (this.folders.has(normalizePath(path))) throw new InputError(`${path}: is a directory, expected a CSV file`);
    let text: string;
    try {
      text = this.readText(path);
    } catch (error) {
      throw new InputError(`${path}: cannot read (${(error as { code?: string }).code ?? 'error'})`);
    }
    // Progress is bytes read over the file's size: the shipped files are ASCII, a character a byte.
    const scale = text.length === 0 ? 1 : this.size(path) / text.length;
    for (let from = 0; from < text.length; ) {
      const newline = text.indexOf('\n', from + blockBytes - 1);
      const end = newline < 0 ? text.length : newline + 1;
      yield { text: text.slice(from, end), bytesRead: Math.round(end * scale) };
      from = end;
    }
  }

  cwd(): string {
    return this.root;
  }

  rootOf(): string {
    return this.root;
  }

  requirePackage(name: string): unknown {
    if (!Object.hasOwn(this.packages, name)) throw new Error(`package ${name} is not part of this build`);
    return this.packages[name];
  }

  importDefault(path: string): Promise<unknown> {
    return Promise.reject(new Error(`${path}: policy modules run only in the command-line tool`));
  }
}
