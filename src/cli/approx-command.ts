import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RandomStreams } from '../engine/random.js';
import { InputError } from '../errors.js';
import { readCsvRecords } from '../io/csv-records.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { csvLines } from '../io/csv-write.js';
import { Biathlon, runExact } from '../approx/biathlon.js';
import { predictionProblem } from '../approx/models/checks.js';
import type { ModelFunction } from '../approx/qmc.js';
import { GroupedTable, parseQueries, tableShape } from '../approx/table.js';
import { parseSeed } from './flags.js';
import { isFile } from './paths.js';

export interface ApproxFlags {
  table: string;
  key: string;
  queries: string;
  requests: string;
  model: string;
  tau: string;
  delta: string;
  out: string;
  seed?: string;
  quiet?: boolean;
}

/** The request being served, for messages about what the model did with it. */
interface Serving {
  key: string;
  line: number;
}

/**
 * A user's model module: `task` ("regression" or "classification") and `predict(rows) → outputs`.
 * Whatever goes wrong in it, loading or predicting, is one line naming the module (and the request).
 */
async function loadModel(file: string, requestsFile: string, serving: { current: Serving | null }): Promise<ModelFunction> {
  if (!existsSync(file)) throw new InputError(`--model: no such file "${file}"`);
  if (!isFile(file)) throw new InputError(`--model: "${file}" is a directory, expected an ES module file`);
  let module: { task?: unknown; predict?: unknown };
  try {
    module = (await import(pathToFileURL(resolve(file)).href)) as typeof module;
  } catch (error) {
    throw new InputError(`--model ${file}: cannot load the module (${firstLine(error)})`);
  }
  if (module.task !== 'regression' && module.task !== 'classification') throw new InputError(`${file}: expected \`export const task = "regression"\` or "classification"`);
  if (typeof module.predict !== 'function') throw new InputError(`${file}: expected \`export function predict(rows)\` returning one number per row`);
  const task = module.task;
  const predictRows = module.predict as (rows: number[][]) => unknown;
  const where = () => (serving.current === null ? '' : ` on request "${serving.current.key}" (${requestsFile}:${serving.current.line})`);
  return {
    task,
    predict(x, rows, out) {
      const inputs = x.length / rows;
      let outputs: unknown;
      try {
        outputs = predictRows(Array.from({ length: rows }, (_, r) => Array.from(x.subarray(r * inputs, (r + 1) * inputs))));
      } catch (error) {
        throw new InputError(`--model ${file}: predict threw${where()}: ${firstLine(error)}`);
      }
      // NaN or missing outputs would pass silently into the estimate and the meet rate.
      const problem = predictionProblem(outputs, rows, task);
      if (problem !== null) throw new InputError(`--model ${file}${where()}: ${problem}`);
      const values = outputs as ArrayLike<number>;
      for (let r = 0; r < rows; r++) out[r] = values[r];
    },
  };
}

const firstLine = (error: unknown) => (error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error)).split('\n')[0];

function parseNumber(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) throw new InputError(`${flag}: expected a number in [${min}, ${max}], got "${text}"`);
  return value;
}

/**
 * `servesim approx`: Biathlon on a user's own data. Each request (a row of the requests CSV: the
 * key, then the request's fixed features) is served exactly and approximately; writes
 * DIR/approx.csv and prints the meet rate and the speedup.
 */
export async function approxCommand(flags: ApproxFlags): Promise<void> {
  const queries = parseQueries(flags.queries);
  const tau = parseNumber(flags.tau, '--tau', 0, 1);
  const delta = parseNumber(flags.delta, '--delta', 0, Infinity);
  const seed = parseSeed(flags.seed ?? '1');
  for (const [flag, file] of [['--table', flags.table], ['--requests', flags.requests]]) {
    if (!existsSync(file)) throw new InputError(`${flag}: no such file "${file}"`);
    if (!isFile(file)) throw new InputError(`${flag}: "${file}" is a directory, expected a CSV file`);
  }
  const serving: { current: Serving | null } = { current: null };
  const model = await loadModel(flags.model, flags.requests, serving);
  if (model.task === 'regression' && delta === 0) throw new InputError(`--delta: ${flags.model} is a regression model; give the output error it may make (δ > 0)`);
  const table = new GroupedTable(flags.table, flags.key, [...new Set(queries.map((q) => q.column))]);
  const requests: { key: string; fixed: number[]; line: number }[] = [];
  let fixedCount = -1;
  for (const record of readCsvRecords(flags.requests)) {
    if (record.line === 1) {
      if (record.fields[0] !== flags.key) throw new InputError(`${flags.requests}: expected the key column "${flags.key}" first, got "${record.fields[0]}"`);
      fixedCount = record.fields.length - 1;
      continue;
    }
    const fixed = record.fields.slice(1).map(Number);
    if (fixed.length !== fixedCount || fixed.some((v) => !Number.isFinite(v))) throw new InputError(`${flags.requests}: line ${record.line}: expected ${fixedCount} numeric features after the key`);
    requests.push({ key: record.fields[0], fixed, line: record.line });
  }
  if (fixedCount < 0) throw new InputError(`${flags.requests}: empty file, expected a header line ("${flags.key}", then the fixed features)`);
  if (requests.length === 0) throw new InputError(`${flags.requests}: no requests after the header line`);
  const shape = tableShape(queries, fixedCount);
  const u = new RandomStreams(seed).uniform('approx');
  const engine = new Biathlon(model, shape, { tau, delta }, queries.map(() => 1));
  const lines: (string | number)[][] = [['key', 'exact', 'approximate', 'met', 'rounds', 'sample_fraction', 'exact_ms', 'approx_ms']];
  let met = 0;
  let exactSeconds = 0;
  let approxSeconds = 0;
  for (const { key, fixed, line } of requests) {
    serving.current = { key, line };
    const request = table.request(key, queries, fixed, u);
    const exact = runExact(model, shape, request);
    const result = engine.run(request, u);
    const ok = model.task === 'regression' ? Math.abs(result.prediction - exact.prediction) <= delta : result.prediction === exact.prediction;
    if (ok) met++;
    exactSeconds += exact.seconds;
    approxSeconds += result.seconds;
    lines.push([key, exact.prediction, result.prediction, ok ? 1 : 0, result.rounds.length, result.sampleFraction.toFixed(4), (1000 * exact.seconds).toFixed(4), (1000 * result.seconds).toFixed(4)]);
  }
  mkdirSync(flags.out, { recursive: true });
  writeFileAtomic(join(flags.out, 'approx.csv'), csvLines(lines));
  if (flags.quiet) return;
  process.stdout.write(
    `${requests.length} requests: meet rate ${(met / Math.max(1, requests.length)).toFixed(3)} (τ = ${tau}), speedup ${(exactSeconds / approxSeconds).toFixed(2)}× measured here\nresults in ${flags.out}/approx.csv\n`,
  );
}
