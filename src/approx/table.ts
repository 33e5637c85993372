import { InputError } from '../errors.js';
import { readCsvRecords } from '../io/csv-records.js';
import type { Uniform } from '../engine/random.js';
import { AGGREGATE_OPS, type AggregateOp } from './aggregates.js';
import type { ApproxRequest, PipelineShape } from './biathlon.js';
import { DEFAULT_PARTITIONS, partitionRows } from './column.js';

/** One aggregation query over a user's table: operators over one column of the rows of the request's key. */
export interface TableQuery {
  column: string;
  ops: AggregateOp[];
}

/**
 * A user's table, grouped by a key column: the rows an aggregation query reads for a request are
 * the rows with the request's key. Each group's rows are given random partitions once, as Biathlon
 * does at ingest, so every request on the same key reads the same nested samples.
 */
export class GroupedTable {
  private readonly groups = new Map<string, Map<string, number[]>>();
  private readonly partitioned = new Map<string, ApproxRequest['columns']>();

  constructor(
    readonly file: string,
    readonly keyColumn: string,
    readonly columns: string[],
  ) {
    let header: string[] = [];
    let key = -1;
    let indices: number[] = [];
    for (const record of readCsvRecords(file)) {
      if (record.line === 1) {
        header = record.fields;
        key = header.indexOf(keyColumn);
        if (key < 0) throw new InputError(`${file}: no key column "${keyColumn}" (columns: ${header.join(', ')})`);
        indices = columns.map((c) => {
          const i = header.indexOf(c);
          if (i < 0) throw new InputError(`${file}: no column "${c}" (columns: ${header.join(', ')})`);
          return i;
        });
        continue;
      }
      let group = this.groups.get(record.fields[key]);
      if (group === undefined) {
        group = new Map(columns.map((c) => [c, []]));
        this.groups.set(record.fields[key], group);
      }
      indices.forEach((i, c) => {
        const value = Number(record.fields[i]);
        if (record.fields[i] === undefined || record.fields[i] === '' || !Number.isFinite(value)) {
          throw new InputError(`${file}: line ${record.line}: column "${columns[c]}": expected a number, got "${record.fields[i] ?? ''}"`);
        }
        (group.get(columns[c]) as number[]).push(value);
      });
    }
    if (key < 0) throw new InputError(`${file}: empty file, expected a header line with the key column "${keyColumn}"`);
  }

  get keys(): string[] {
    return [...this.groups.keys()];
  }

  /** A request on `key`: its fixed features and, per query, the key's rows of the query's column. */
  request(key: string, queries: TableQuery[], fixed: number[], u: Uniform): ApproxRequest {
    let columns = this.partitioned.get(key);
    if (columns === undefined) {
      const group = this.groups.get(key);
      columns = partitionRows(this.columns.map((c) => group?.get(c) ?? []), u, DEFAULT_PARTITIONS);
      this.partitioned.set(key, columns);
    }
    const byName = new Map(this.columns.map((c, i) => [c, (columns as ApproxRequest['columns'])[i]]));
    return { fixed, columns: queries.map((q) => byName.get(q.column) as ApproxRequest['columns'][number]) };
  }
}

/** The pipeline shape of a user's queries: `fixed` request features, then each query's operators. */
export function tableShape(queries: TableQuery[], fixedFeatures: number): PipelineShape {
  return { fixedFeatures, queries: queries.map((q) => ({ name: q.column, ops: q.ops })) };
}

/** Parses "column:op,op;column:op" (e.g. "fare:count,avg;distance:median"). */
export function parseQueries(text: string, flag = '--queries'): TableQuery[] {
  return text.split(';').map((part) => {
    const [column, ops] = part.split(':');
    if (!column || !ops) throw new InputError(`${flag}: expected "column:op,op;column:op", got "${part}"`);
    return {
      column: column.trim(),
      ops: ops.split(',').map((op) => {
        const name = op.trim() as AggregateOp;
        if (!AGGREGATE_OPS.includes(name)) throw new InputError(`${flag}: unknown operator "${op}" (expected one of ${AGGREGATE_OPS.join(', ')})`);
        return name;
      }),
    };
  });
}
