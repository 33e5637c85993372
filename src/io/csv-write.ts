import { stringify } from 'csv-stringify/sync';

export type Cell = string | number;

/**
 * CSV as every file servesim writes it: csv-stringify quotes a field that needs it (a comma, a
 * quote, a line break), so a spec or stage named `my,run` cannot shift a column.
 */
export function csvLines(rows: readonly (readonly Cell[])[]): string {
  return stringify(rows as Cell[][]);
}

/** One CSV line, with its line break. */
export function csvLine(cells: readonly Cell[]): string {
  return stringify([cells as Cell[]]);
}

const quoted = new Map<string, string>();

/**
 * A name as a CSV field, quoted where it needs it. Memoised: the per-request log writes the same
 * few deployment names millions of times, and quoting one field through csv-stringify costs ~3 µs.
 */
export function csvName(name: string): string {
  let field = quoted.get(name);
  if (field === undefined) {
    field = csvLine([name]).slice(0, -1);
    quoted.set(name, field);
  }
  return field;
}
