import { InputError } from '../errors.js';
import type { PartitionedColumn } from './column.js';
import { nonNegativeFit, type StorageCost } from './cost-model.js';

/**
 * Measures Biathlon's loading on a real database: the columns are loaded into an in-process
 * DuckDB table clustered by (query, partition), then every partition is fetched with its own SQL
 * query on one thread and its rows read back, as Biathlon's default loading mode does on
 * ClickHouse (one query per partition, max_threads = 1); a line through the timings gives the cost
 * per query and per row. DuckDB (`@duckdb/node-api`) is not a dependency (see src/types/duckdb.d.ts): it
 * is loaded only here, when installed.
 */
export async function measureDuckDbStorage(columns: PartitionedColumn[]): Promise<StorageCost> {
  let duckdb: typeof import('@duckdb/node-api');
  try {
    duckdb = await import('@duckdb/node-api');
  } catch {
    throw new InputError('storage "duckdb": @duckdb/node-api is not installed (npm install --no-save @duckdb/node-api@1.5.6-r.1)');
  }
  const instance = await duckdb.DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  try {
    await connection.run('CREATE TABLE loaded (qid INTEGER, pid INTEGER, v DOUBLE)');
    const appender = await connection.createAppender('loaded');
    columns.forEach((column, qid) => {
      for (let pid = 0; pid + 1 < column.offsets.length; pid++) {
        for (let i = column.offsets[pid]; i < column.offsets[pid + 1]; i++) {
          appender.appendInteger(qid);
          appender.appendInteger(pid);
          appender.appendDouble(column.values[i]);
          appender.endRow();
        }
      }
    });
    appender.closeSync();
    await connection.run('CREATE TABLE rows AS SELECT * FROM loaded ORDER BY qid, pid');
    const fetch = await connection.prepare('SELECT v FROM rows WHERE qid = $1 AND pid = $2');
    const timings: { rows: number; seconds: number }[] = [];
    for (const [qid, column] of columns.entries()) {
      for (let pid = 0; pid + 1 < column.offsets.length; pid++) {
        fetch.bindInteger(1, qid);
        fetch.bindInteger(2, pid);
        const start = performance.now();
        const values = Float64Array.from((await fetch.runAndReadAll()).getColumns()[0] as number[]);
        timings.push({ rows: values.length, seconds: (performance.now() - start) / 1000 });
      }
    }
    const [partitionSeconds, rowSeconds] = nonNegativeFit(
      timings.map((t) => [1, t.rows]),
      timings.map((t) => t.seconds),
    );
    return { engine: `DuckDB ${duckdb.version()}`, partitionSeconds, rowSeconds, queries: timings.length };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
