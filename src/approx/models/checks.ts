import { InputError } from '../../errors.js';
import type { Task } from './model.js';

/** Checks of training data and options: bad input is one clear line, never a library's stack trace. */

export function fail(message: string): never {
  throw new InputError(message);
}

/** Checks X (non-empty, rectangular, finite) and y (same length, finite); returns the feature count. */
export function checkData(X: number[][], y: number[], task: Task): number {
  if (!Array.isArray(X) || X.length === 0) fail('model training data: X must be a non-empty array of rows');
  if (!Array.isArray(y) || y.length !== X.length) fail(`model training data: y has ${y?.length} values for ${X.length} rows of X`);
  const inputs = X[0]?.length;
  if (!inputs) fail('model training data: rows of X must have at least one feature');
  X.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== inputs) fail(`model training data: row ${r} of X has ${row?.length} features, row 0 has ${inputs}`);
    for (let c = 0; c < inputs; c++) if (!Number.isFinite(row[c])) fail(`model training data: X[${r}][${c}] is ${row[c]}, not a finite number`);
  });
  y.forEach((v, r) => {
    if (!Number.isFinite(v)) fail(`model training data: y[${r}] is ${v}, not a finite number`);
    if (task === 'classification' && !(Number.isInteger(v) && v >= 0)) fail(`model training data: y[${r}] is ${v}; class labels must be integers 0, 1, 2, ...`);
  });
  return inputs;
}

export function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) fail(`model option ${name} must be an integer >= ${min}, got ${value}`);
}

export function checkTask(task: Task): void {
  if (task !== 'regression' && task !== 'classification') fail(`model option task must be 'regression' or 'classification', got ${task}`);
}

export const labelCount = (y: number[]) => y.reduce((max, v) => Math.max(max, v + 1), 0);

/**
 * Checks what a model's predict returned for a batch of `rows`: one finite output per row (a class
 * index 0, 1, 2, ... for a classifier). Returns what is wrong, or null.
 */
export function predictionProblem(outputs: unknown, rows: number, task: Task): string | null {
  if (!Array.isArray(outputs) && !ArrayBuffer.isView(outputs)) return `predict returned ${outputs === null ? 'null' : typeof outputs}, expected an array of ${rows} numbers`;
  const values = outputs as ArrayLike<unknown>;
  if (values.length !== rows) return `predict returned ${values.length} outputs for ${rows} rows, expected one per row`;
  for (let r = 0; r < rows; r++) {
    const v = values[r];
    if (typeof v !== 'number' || !Number.isFinite(v)) return `predict returned ${String(v)} for row ${r}, expected a finite number`;
    if (task === 'classification' && !(Number.isInteger(v) && v >= 0)) return `predict returned ${v} for row ${r}; a classifier returns class indices 0, 1, 2, ...`;
  }
  return null;
}
