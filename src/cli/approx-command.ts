import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RandomStreams } from '../engine/random.js';
import { InputError } from '../errors.js';
import { readCsvRecords } from '../io/csv-records.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { csvLines } from '../io/csv-write.js';
import { Biathlon, runExact } from '../approx/biathlon.js';
import type { ModelFunction } from '../approx/qmc.js';
import { GroupedTable, parseQueries, tableShape } from '../approx/table.js';
import { parseSeed } from './flags.js';

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

/** A user's model module: `task` ("regression" or "classification") and `predict(rows) → outputs`. */
async function loadModel(file: string): Promise<ModelFunction> {
  if (!existsSync(file)) throw new InputError(`--model: no such file "${file}"`);
  const module = (await import(pathToFileURL(resolve(file)).href)) as { task?: unknown; predict?: unknown };
  if (module.task !== 'regression' && module.task !== 'classification') throw new InputError(`${file}: expected \`export const task = "regression"\` or "classification"`);
  if (typeof module.predict !== 'function') throw new InputError(`${file}: expected \`export function predict(rows)\` returning one number per row`);
  const predictRows = module.predict as (rows: number[][]) => number[];
  return {
    task: module.task,
    predict(x, rows, out) {
      const inputs = x.length / rows;
      const outputs = predictRows(Array.from({ length: rows }, (_, r) => Array.from(x.subarray(r * inputs, (r + 1) * inputs))));
      for (let r = 0; r < rows; r++) out[r] = outputs[r];
    },
  };
}

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
  for (const [flag, file] of [['--table', flags.table], ['--requests', flags.requests]]) if (!existsSync(file)) throw new InputError(`${flag}: no such file "${file}"`);
  const model = await loadModel(flags.model);
  if (model.task === 'regression' && delta === 0) throw new InputError(`--delta: ${flags.model} is a regression model; give the output error it may make (δ > 0)`);
  const table = new GroupedTable(flags.table, flags.key, [...new Set(queries.map((q) => q.column))]);
  const requests: { key: string; fixed: number[] }[] = [];
  let fixedCount = -1;
  for (const record of readCsvRecords(flags.requests)) {
    if (record.line === 1) {
      if (record.fields[0] !== flags.key) throw new InputError(`${flags.requests}: expected the key column "${flags.key}" first, got "${record.fields[0]}"`);
      fixedCount = record.fields.length - 1;
      continue;
    }
    const fixed = record.fields.slice(1).map(Number);
    if (fixed.length !== fixedCount || fixed.some((v) => !Number.isFinite(v))) throw new InputError(`${flags.requests}: line ${record.line}: expected ${fixedCount} numeric features after the key`);
    requests.push({ key: record.fields[0], fixed });
  }
  const shape = tableShape(queries, fixedCount);
  const u = new RandomStreams(seed).uniform('approx');
  const engine = new Biathlon(model, shape, { tau, delta }, queries.map(() => 1));
  const lines: (string | number)[][] = [['key', 'exact', 'approximate', 'met', 'rounds', 'sample_fraction', 'exact_ms', 'approx_ms']];
  let met = 0;
  let exactSeconds = 0;
  let approxSeconds = 0;
  for (const { key, fixed } of requests) {
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
