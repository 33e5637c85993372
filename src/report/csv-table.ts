import { writeFileAtomic } from '../io/atomic-file.js';
import { csvLines, type Cell } from '../io/csv-write.js';

export type { Cell };

/** A table as reports write it: to a CSV file and into report.html alike. */
export interface Table {
  header: string[];
  rows: Cell[][];
}

/** The table as CSV; csv-stringify quotes the fields that need it (a comma, a quote, a line break). */
export function csvText(table: Table): string {
  return csvLines([table.header, ...table.rows]);
}

export function writeCsvTable(path: string, table: Table): void {
  writeFileAtomic(path, csvText(table));
}
