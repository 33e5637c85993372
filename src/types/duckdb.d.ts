/**
 * The parts of `@duckdb/node-api` (MIT) that measuring Biathlon's database costs uses. It is not a
 * dependency: the registry holds its native bindings for some platforms only, so a user who wants
 * to re-measure installs it (`npm install --no-save @duckdb/node-api@1.5.6-r.1`).
 */
declare module '@duckdb/node-api' {
  export function version(): string;
  export class DuckDBInstance {
    static create(path: string, options?: Record<string, string>): Promise<DuckDBInstance>;
    connect(): Promise<DuckDBConnection>;
    closeSync(): void;
  }
  export class DuckDBConnection {
    run(sql: string): Promise<unknown>;
    prepare(sql: string): Promise<DuckDBPreparedStatement>;
    createAppender(table: string): Promise<DuckDBAppender>;
    closeSync(): void;
  }
  export class DuckDBPreparedStatement {
    bindInteger(index: number, value: number): void;
    runAndReadAll(): Promise<{ getColumns(): unknown[][] }>;
  }
  export class DuckDBAppender {
    appendInteger(value: number): void;
    appendDouble(value: number): void;
    endRow(): void;
    closeSync(): void;
  }
}
