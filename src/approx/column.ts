import { randomBinomial } from 'd3-random';
import type { Uniform } from '../engine/random.js';

/**
 * Biathlon's data layout: every row of a table is given a random partition id at ingest
 * (`pid = random % nparts`, 100 partitions), so "the first m partitions" is a uniform random sample
 * of m % of the rows without replacement, and growing m re-reads nothing.
 */
export const DEFAULT_PARTITIONS = 100;

/** The rows one aggregation query reads for one request, stored partition after partition. */
export interface PartitionedColumn {
  /** Row values in partition order: partition i holds values[offsets[i] .. offsets[i + 1]). */
  readonly values: Float64Array;
  /** nparts + 1 boundaries; offsets[nparts] is the number of rows. */
  readonly offsets: Int32Array;
}

export function partitionCount(column: PartitionedColumn): number {
  return column.offsets.length - 1;
}

/** Rows in the first `parts` partitions. */
export function rowsIn(column: PartitionedColumn, parts: number): number {
  return column.offsets[parts];
}

/** Assigns each value a uniform random partition (a counting sort by partition id). */
export function partitionValues(values: ArrayLike<number>, u: Uniform, nparts = DEFAULT_PARTITIONS): PartitionedColumn {
  return partitionRows([values], u, nparts)[0];
}

/**
 * Assigns each row of a table (given as columns of equal length) a uniform random partition, and
 * sorts every column by it: a row keeps one partition whichever column a query reads.
 */
export function partitionRows(columns: ArrayLike<number>[], u: Uniform, nparts = DEFAULT_PARTITIONS): PartitionedColumn[] {
  const rows = columns[0]?.length ?? 0;
  const ids = new Uint8Array(rows);
  const offsets = new Int32Array(nparts + 1);
  for (let i = 0; i < rows; i++) {
    const id = Math.floor(u() * nparts);
    ids[i] = id;
    offsets[id + 1]++;
  }
  for (let p = 0; p < nparts; p++) offsets[p + 1] += offsets[p];
  const order = new Int32Array(rows);
  const next = offsets.slice(0, nparts);
  for (let i = 0; i < rows; i++) order[next[ids[i]]++] = i;
  return columns.map((column) => ({ values: Float64Array.from(order, (i) => column[i]), offsets }));
}

/**
 * Splits values that are already independent and identically distributed into partitions: each
 * row's partition is then a multinomial draw, so cutting the sequence at multinomial boundaries is
 * the same in distribution as assigning ids and sorting, without the copy. For generated data.
 */
export function partitionIid(values: Float64Array, u: Uniform, nparts = DEFAULT_PARTITIONS): PartitionedColumn {
  const offsets = new Int32Array(nparts + 1);
  const binomial = randomBinomial.source(u);
  // Sequential binomials: partition p takes each remaining row with probability 1/(partitions left).
  for (let p = 0; p < nparts; p++) {
    const remaining = values.length - offsets[p];
    offsets[p + 1] = offsets[p] + (p === nparts - 1 ? remaining : binomial(remaining, 1 / (nparts - p))());
  }
  return { values, offsets };
}
