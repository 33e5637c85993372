import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InputError } from '../errors.js';
import type { Host, LineBlock } from './files.js';

const require = createRequire(import.meta.url);

function* lineBlocks(file: string, blockBytes: number): Generator<LineBlock> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw new InputError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    // A directory opens on Linux and fails only at the first read (EISDIR): say so up front.
    if (fstatSync(fd).isDirectory()) throw new InputError(`${file}: is a directory, expected a CSV file`);
    const block = Buffer.allocUnsafe(blockBytes);
    let carry = '';
    let bytesRead = 0;
    for (;;) {
      const bytes = readSync(fd, block, 0, blockBytes, null);
      bytesRead += bytes;
      const text = carry + block.toString('utf8', 0, bytes);
      const cut = bytes === 0 ? text.length : text.lastIndexOf('\n') + 1;
      carry = text.slice(cut);
      if (cut > 0) yield { text: text.slice(0, cut), bytesRead };
      if (bytes === 0) return;
    }
  } finally {
    closeSync(fd);
  }
}

/** The file system and module loader of the Node process. */
export const nodeHost: Host = {
  readText: (path) => readFileSync(path, 'utf8'),
  exists: (path) => existsSync(path),
  size: (path) => statSync(path).size,
  lineBlocks,
  cwd: () => process.cwd(),
  rootOf: (moduleUrl) => resolve(dirname(fileURLToPath(moduleUrl)), '..'),
  requirePackage: (name) => require(name),
  importDefault: async (path) => ((await import(pathToFileURL(path).href)) as { default?: unknown }).default,
};
