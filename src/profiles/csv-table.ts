import { InputError } from '../errors.js';
import { readCsvRecords } from '../io/csv-records.js';

/** A small CSV file read whole, with typed access to named columns and errors that name file and line. */
export class CsvTable {
  readonly rows: { fields: string[]; line: number }[] = [];
  readonly header: string[];

  constructor(readonly path: string) {
    const records = readCsvRecords(path);
    const first = records.next();
    if (first.done || first.value.fields.join('') === '') throw new InputError(`${path}: empty file, expected a header line`);
    this.header = first.value.fields;
    for (const record of records) if (record.fields.join('') !== '') this.rows.push(record);
  }

  column(name: string): number {
    const index = this.header.indexOf(name);
    if (index < 0) throw new InputError(`${this.path}: missing column "${name}" (header: ${this.header.join(',')})`);
    return index;
  }

  has(name: string): boolean {
    return this.header.includes(name);
  }

  text(row: { fields: string[]; line: number }, column: string): string {
    const value = row.fields[this.column(column)];
    if (value === undefined || value === '') throw new InputError(`${this.path}:${row.line}: column "${column}" is empty`);
    return value;
  }

  /** A number in the row, or NaN when the cell is empty and `optional`; `integer`: a whole number. */
  number(row: { fields: string[]; line: number }, column: string, { positive = false, optional = false, integer = false } = {}): number {
    const raw = row.fields[this.column(column)];
    if ((raw === undefined || raw === '') && optional) return NaN;
    const value = Number(raw);
    if (raw === undefined || raw === '' || !Number.isFinite(value) || (positive ? value <= 0 : value < 0) || (integer && !Number.isInteger(value))) {
      const kind = `${positive ? 'positive' : 'non-negative'} ${integer ? 'integer' : 'number'}`;
      throw new InputError(`${this.path}:${row.line}: column "${column}" expected a ${kind}, got ${raw === undefined ? 'nothing' : JSON.stringify(raw)}`);
    }
    return value;
  }
}
