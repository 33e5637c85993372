/**
 * Renders a model as CPLEX LP format text, the input HiGHS' one-shot solve() parses. User names may
 * hold characters LP files forbid, so column i is written as `x<i>` and row i as `r<i>`.
 */
import { isBinary, type IndexedModel } from './indexed.js';

export function columnName(column: number): string {
  return `x${column}`;
}

function expression(columns: readonly number[], coefficients: readonly number[]): string {
  // The LP grammar needs at least one term on a constraint's left-hand side.
  if (columns.length === 0) return `0 ${columnName(0)}`;
  return columns
    .map((column, k) => {
      const c = coefficients[k];
      const sign = c < 0 ? '-' : k === 0 ? '' : '+';
      return `${sign} ${Math.abs(c)} ${columnName(column)}`.trim();
    })
    .join(' ');
}

function bound(value: number): string {
  return value === Infinity ? 'inf' : value === -Infinity ? '-inf' : String(value);
}

export function renderLpFormat(model: IndexedModel): string {
  const objectiveColumns: number[] = [];
  const objectiveCoefficients: number[] = [];
  model.objective.forEach((c, column) => {
    if (c !== 0) {
      objectiveColumns.push(column);
      objectiveCoefficients.push(c);
    }
  });
  // An empty objective line is legal; the constant is added back by optimalSolution.
  const objective = objectiveColumns.length > 0 ? expression(objectiveColumns, objectiveCoefficients) : '';

  const rows: string[] = [];
  model.rows.forEach((row, index) => {
    const lhs = expression(row.columns, row.coefficients);
    if (row.lower === row.upper) rows.push(` r${index}: ${lhs} = ${row.lower}`);
    // HiGHS' reader rejects `lower <= expr <= upper`, so a ranged row becomes two rows.
    else if (row.lower > -Infinity && row.upper < Infinity) {
      rows.push(` r${index}_lo: ${lhs} >= ${row.lower}`, ` r${index}_hi: ${lhs} <= ${row.upper}`);
    } else if (row.lower > -Infinity) rows.push(` r${index}: ${lhs} >= ${row.lower}`);
    else rows.push(` r${index}: ${lhs} <= ${row.upper}`);
  });

  // Every column gets a bounds line, so each one exists in the solver even if it appears nowhere else.
  const bounds: string[] = [];
  const generals: string[] = [];
  const binaries: string[] = [];
  model.variables.forEach((variable, column) => {
    const name = columnName(column);
    if (isBinary(variable)) {
      binaries.push(name);
      return;
    }
    if (variable.integer) generals.push(name);
    if (variable.lower === variable.upper) bounds.push(` ${name} = ${variable.lower}`);
    else bounds.push(` ${bound(variable.lower)} <= ${name} <= ${bound(variable.upper)}`);
  });

  const lines = [model.sense === 'max' ? 'maximize' : 'minimize', ` obj: ${objective}`, 'subject to', ...rows, 'bounds', ...bounds];
  if (generals.length > 0) lines.push('general', ` ${generals.join(' ')}`);
  if (binaries.length > 0) lines.push('binary', ` ${binaries.join(' ')}`);
  lines.push('end', '');
  return lines.join('\n');
}
