import { parse } from 'csv-parse/sync';
import { InputError } from '../errors.js';
import { host } from './files.js';

export interface CsvRecord {
  fields: string[];
  /** 1-based line number in the file. */
  line: number;
  /** Bytes of the file read when this record was parsed. */
  bytesRead: number;
}

const BLOCK_BYTES = 1 << 18;

/**
 * Streams the records of a CSV file synchronously, a block of whole lines at a time, so a long
 * trace never sits in memory whole; each block is parsed with csv-parse. Records are one per line
 * (quoted fields must not span lines). The data lines right after the header that
 * `skipAfterHeader(header)` counts are passed over unparsed, to reach a slice deep in a long trace quickly.
 */
export function* readCsvRecords(file: string, skipAfterHeader: (header: string[]) => number = () => 0): Generator<CsvRecord> {
  let line = 1;
  let toSkip = 0;
  for (const { text, bytesRead } of host().lineBlocks(file, BLOCK_BYTES)) {
    let from = 0;
    if (line === 1) {
      const newline = text.indexOf('\n');
      from = newline < 0 ? text.length : newline + 1;
      const header = parseLines(file, text.slice(0, from), line)[0] ?? [];
      toSkip = skipAfterHeader(header);
      line = 2;
      yield { fields: header, line: 1, bytesRead };
    }
    for (; toSkip > 0 && from < text.length; toSkip--, line++) {
      const newline = text.indexOf('\n', from);
      from = newline < 0 ? text.length : newline + 1;
    }
    if (from === text.length) continue;
    for (const fields of parseLines(file, text.slice(from), line)) yield { fields, line: line++, bytesRead };
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
