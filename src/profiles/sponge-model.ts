import type { Uniform } from '../engine/random.js';
import { InputError } from '../errors.js';
import { host } from '../io/files.js';
import { CsvTable } from './csv-table.js';
import { lognormalSampler, type LatencyModel } from './latency-model.js';

/** Sponge's batch latency model l(b, c) = γ·b/c + δ·b + ε/c + η, in seconds. */
export interface SpongeCoefficients {
  gamma: number;
  delta: number;
  epsilon: number;
  eta: number;
  /** Root-mean-square relative residual of the fit: the spread of service times around l(b, c). */
  residualCv: number;
}

export interface BatchCoreLatency {
  batch: number;
  cores: number;
  latency: number;
}

const features = (b: number, c: number) => [b / c, b, 1 / c, 1];

// Loaded on first use: only specs that fit this model pay for the regression library.
type Regression = typeof import('ml-regression-multivariate-linear');

/** Least-squares fit of Sponge's model to measured (batch, cores, latency) points. */
export function fitSponge(points: BatchCoreLatency[]): SpongeCoefficients {
  if (points.length < 4) throw new InputError(`the Sponge latency model needs at least 4 profiled points, got ${points.length}`);
  const MultivariateLinearRegression = host().requirePackage('ml-regression-multivariate-linear') as Regression;
  const regression = new MultivariateLinearRegression(
    points.map((p) => features(p.batch, p.cores)),
    points.map((p) => [p.latency]),
    { intercept: false },
  );
  const [gamma, delta, epsilon, eta] = regression.weights.map((w) => w[0]);
  const predict = (b: number, c: number) => gamma * (b / c) + delta * b + epsilon / c + eta;
  const squares = points.reduce((sum, p) => sum + (p.latency / predict(p.batch, p.cores) - 1) ** 2, 0);
  return { gamma, delta, epsilon, eta, residualCv: Math.sqrt(squares / points.length) };
}

/** The fitted model as a latency model; service times are lognormal around l(b, c) with cv `cv`. */
export function spongeModel(k: SpongeCoefficients, cv = k.residualCv): LatencyModel {
  const mean = (b: number, c: number) => Math.max(1e-6, k.gamma * (b / c) + k.delta * b + k.epsilon / c + k.eta);
  return { mean, sampler: (u: Uniform) => lognormalSampler(u, mean, () => cv) };
}

/** Reads `batch_size,cpu_cores,latency_s` rows (the Sponge profile's layout). */
export function readBatchCoreLatencies(path: string): BatchCoreLatency[] {
  const table = new CsvTable(path);
  return table.rows.map((row) => ({
    batch: table.number(row, 'batch_size', { positive: true }),
    cores: table.number(row, 'cpu_cores', { positive: true }),
    latency: table.number(row, 'latency_s', { positive: true }),
  }));
}
