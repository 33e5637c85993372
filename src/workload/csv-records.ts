import { closeSync, openSync, readSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { InputError } from '../errors.js';

export interface CsvRecord {
  fields: string[];
  /** 1-based line number in the file. */
  line: number;
  /** Bytes of the file read when this record was parsed. */
  bytesRead: number;
}

const BLOCK_BYTES = 1 << 18;

/**
 * Streams the records of a CSV file synchronously, a block at a time, so a long trace never sits
 * in memory whole. Each block is cut at its last newline and parsed with csv-parse; records are
 * one per line (quoted fields must not span lines).
 */
export function* readCsvRecords(file: string): Generator<CsvRecord> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw new InputError(`${file}: cannot open trace (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const block = Buffer.allocUnsafe(BLOCK_BYTES);
    let carry = '';
    let line = 1;
    let bytesRead = 0;
    for (;;) {
      const bytes = readSync(fd, block, 0, BLOCK_BYTES, null);
      bytesRead += bytes;
      const text = carry + block.toString('utf8', 0, bytes);
      const cut = bytes === 0 ? text.length : text.lastIndexOf('\n') + 1;
      carry = text.slice(cut);
      if (cut > 0) {
        for (const fields of parseLines(file, text.slice(0, cut), line)) {
          yield { fields, line: line++, bytesRead };
        }
      }
      if (bytes === 0) return;
    }
  } finally {
    closeSync(fd);
  }
}

function parseLines(file: string, text: string, firstLine: number): string[][] {
  try {
    return parse(text, { relax_column_count: true, skip_empty_lines: false, trim: true }) as string[][];
  } catch (error) {
    const where = (error as { lines?: number }).lines;
    const line = where === undefined ? firstLine : firstLine + where - 1;
    throw new InputError(`${file}:${line}: malformed CSV (${(error as Error).message})`);
  }
}
