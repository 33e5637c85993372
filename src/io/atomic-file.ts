import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

const FLUSH_CHARS = 1 << 16;

/**
 * A file written through a temporary sibling and renamed into place on commit, so a reader never
 * sees a partial result; aborting removes the temporary file. Writes are buffered.
 */
export class AtomicFile {
  private readonly tempPath: string;
  private fd: number;
  private buffer = '';

  constructor(readonly path: string) {
    this.tempPath = `${path}.${process.pid}.tmp`;
    this.fd = openSync(this.tempPath, 'w');
  }

  write(text: string): void {
    this.buffer += text;
    if (this.buffer.length >= FLUSH_CHARS) this.flush();
  }

  commit(): void {
    this.flush();
    closeSync(this.fd);
    renameSync(this.tempPath, this.path);
  }

  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    rmSync(this.tempPath, { force: true });
  }

  private flush(): void {
    writeSync(this.fd, this.buffer);
    this.buffer = '';
  }
}

/** Writes a whole file atomically. */
export function writeFileAtomic(path: string, text: string): void {
  const file = new AtomicFile(path);
  try {
    file.write(text);
    file.commit();
  } catch (error) {
    file.abort();
    throw error;
  }
}
