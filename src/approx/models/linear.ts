import { host } from '../../io/files.js';
import { checkData } from './checks.js';
import type { Model } from './model.js';

// The ml-* packages are CommonJS; they are loaded on first use, so importing this file costs nothing.
type LinearRegressionModule = typeof import('ml-regression-multivariate-linear');

/** Least squares with an intercept; predicts with the library's own order of operations, so exactly as it would. */
export function trainLinear(X: number[][], y: number[]): Model {
  const inputs = checkData(X, y, 'regression');
  const Regression = host().requirePackage('ml-regression-multivariate-linear') as LinearRegressionModule;
  // Statistics (t-stats, standard errors) are not needed and divide by rows − columns.
  const fitted = new Regression(X, y.map((v) => [v]), { intercept: true, statistics: false });
  // weights: one row per feature, then the intercept's row.
  const weights = Float64Array.from(fitted.weights.slice(0, inputs), (w) => w[0]);
  const intercept = fitted.weights[inputs][0];
  return {
    task: 'regression',
    kind: 'linear',
    inputs,
    classes: 0,
    predict(x, rows, out) {
      for (let r = 0, base = 0; r < rows; r++, base += inputs) {
        let s = intercept;
        for (let i = 0; i < inputs; i++) s += weights[i] * x[base + i];
        out[r] = s;
      }
    },
  };
}
