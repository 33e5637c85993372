import quantile from '@stdlib/stats-base-dists-normal-quantile';
import { SobolSequenceGenerator } from 'sobol';
import { RandomStreams } from '../engine/random.js';
import type { FeatureEstimate } from './aggregates.js';

/** What Biathlon needs of a model: a batch prediction (class indices as numbers for classifiers). */
export interface ModelFunction {
  readonly task: 'regression' | 'classification';
  predict(x: Float64Array, rows: number, out: Float64Array): void;
}

/**
 * Saltelli's layout for first-order Sobol indices: two independent matrices A and B of N points,
 * and for each feature group g the matrix AB_g (A with group g's columns from B), N·(k + 2) rows in
 * all. A and B are the two halves of one 2d-dimensional Sobol sequence (Joe–Kuo directions, from
 * the `sobol` package), without its first point (all zeros), randomised once by a seeded uniform
 * shift modulo 1 (Cranley–Patterson), which keeps every point uniform. Biathlon likewise draws one
 * seeded scrambled design (SciPy's Owen scrambling) and uses it for every request.
 */
export class SaltelliDesign {
  /** N × 2d uniforms, row-major. */
  readonly uniforms: Float64Array;
  /** Their standard normal quantiles, so that a normal feature costs one multiply-add per point. */
  readonly normals: Float64Array;

  constructor(
    readonly dims: number,
    readonly baseSamples: number,
  ) {
    const sequence = new SobolSequenceGenerator(2 * dims);
    sequence.nextVector();
    const shift = new RandomStreams(DESIGN_SEED).uniform(`saltelli-${dims}`);
    const shifts = Array.from({ length: 2 * dims }, () => shift());
    this.uniforms = new Float64Array(baseSamples * 2 * dims);
    this.normals = new Float64Array(baseSamples * 2 * dims);
    for (let i = 0; i < baseSamples; i++) {
      sequence.nextVector().forEach((v, j) => {
        const t = v + shifts[j];
        const u = Math.min(1 - EDGE, Math.max(EDGE, t - Math.floor(t)));
        this.uniforms[i * 2 * dims + j] = u;
        this.normals[i * 2 * dims + j] = quantile(u, 0, 1);
      });
    }
  }
}

/** Keeps uniforms off 0 and 1, where the normal quantile is infinite. */
const EDGE = 1e-12;
const DESIGN_SEED = 20240521;

const designs = new Map<string, SaltelliDesign>();

/** One design per (dimension, N): it is the same for every request of a pipeline. */
export function saltelliDesign(dims: number, baseSamples: number): SaltelliDesign {
  const key = `${dims}x${baseSamples}`;
  let design = designs.get(key);
  if (design === undefined) {
    design = new SaltelliDesign(dims, baseSamples);
    designs.set(key, design);
  }
  return design;
}

export interface Propagation {
  /** Mean of the outputs (regression) or their most frequent class (classification). */
  prediction: number;
  /** Share of outputs within δ of the prediction (or equal to it): Biathlon's confidence. */
  confidence: number;
  /** Variance of the outputs. */
  variance: number;
  /** First-order Sobol index of each query group, clipped at 0. */
  firstOrder: Float64Array;
  /** Model rows evaluated: N·(k + 2). */
  modelRows: number;
}

/**
 * Propagates feature uncertainty to the model output by quasi-Monte Carlo (Biathlon's approximate
 * model inference): draws the aggregate features from their normal or bootstrap distributions at
 * the design's points, holds the request's other features fixed, evaluates the model on all
 * N·(k + 2) rows at once, and from the same outputs takes the prediction, the confidence and the
 * first-order Sobol index of each group (Saltelli 2010's estimator, as SALib computes it).
 */
export class Propagator {
  private readonly design: SaltelliDesign;
  private readonly rows: number;
  private readonly inputs: number;
  private readonly x: Float64Array;
  private readonly y: Float64Array;
  private readonly valuesA: Float64Array;
  private readonly valuesB: Float64Array;

  constructor(
    private readonly model: ModelFunction,
    /** Features before the aggregate ones in a model row (request fields, feature-store values). */
    private readonly fixedFeatures: number,
    /** The query group of each aggregate feature. */
    private readonly groupOf: Int32Array,
    readonly groups: number,
    baseSamples: number,
  ) {
    const dims = groupOf.length;
    this.design = saltelliDesign(dims, baseSamples);
    this.rows = baseSamples * (groups + 2);
    this.inputs = fixedFeatures + dims;
    this.x = new Float64Array(this.rows * this.inputs);
    this.y = new Float64Array(this.rows);
    this.valuesA = new Float64Array(baseSamples * dims);
    this.valuesB = new Float64Array(baseSamples * dims);
  }

  run(fixed: ArrayLike<number>, features: FeatureEstimate[], delta: number): Propagation {
    const { design, inputs, fixedFeatures, groupOf, x, y } = this;
    const n = design.baseSamples;
    const dims = groupOf.length;
    for (let i = 0; i < n; i++) {
      for (let f = 0; f < dims; f++) {
        this.valuesA[i * dims + f] = draw(features[f], design, i * 2 * dims + f);
        this.valuesB[i * dims + f] = draw(features[f], design, i * 2 * dims + dims + f);
      }
    }
    // Row blocks: A, B, then AB_g for each group g.
    for (let block = 0; block < this.groups + 2; block++) {
      for (let i = 0; i < n; i++) {
        const row = (block * n + i) * inputs;
        for (let c = 0; c < fixedFeatures; c++) x[row + c] = fixed[c];
        for (let f = 0; f < dims; f++) {
          const fromB = block === 1 || (block >= 2 && groupOf[f] === block - 2);
          x[row + fixedFeatures + f] = (fromB ? this.valuesB : this.valuesA)[i * dims + f];
        }
      }
    }
    this.model.predict(x, this.rows, y);
    return this.model.task === 'regression' ? this.summarizeRegression(delta) : this.summarizeClassification();
  }

  private summarizeRegression(delta: number): Propagation {
    const y = this.y;
    let mean = 0;
    for (let i = 0; i < this.rows; i++) mean += y[i];
    mean /= this.rows;
    let within = 0;
    let squares = 0;
    for (let i = 0; i < this.rows; i++) {
      if (Math.abs(y[i] - mean) <= delta) within++;
      squares += (y[i] - mean) ** 2;
    }
    return { prediction: mean, confidence: within / this.rows, variance: squares / this.rows, firstOrder: this.firstOrder((v) => v), modelRows: this.rows };
  }

  private summarizeClassification(): Propagation {
    const y = this.y;
    const counts = new Map<number, number>();
    let mode = y[0];
    for (let i = 0; i < this.rows; i++) {
      const c = (counts.get(y[i]) ?? 0) + 1;
      counts.set(y[i], c);
      if (c > (counts.get(mode) as number) || (c === counts.get(mode) && y[i] < mode)) mode = y[i];
    }
    const agree = (counts.get(mode) as number) / this.rows;
    // The Sobol indices are taken of "agrees with the predicted class", the quantity the confidence counts.
    return { prediction: mode, confidence: agree, variance: agree * (1 - agree), firstOrder: this.firstOrder((v) => (v === mode ? 1 : 0)), modelRows: this.rows };
  }

  /** S1_g = mean(f_B·(f_ABg − f_A)) / Var(f_A ∪ f_B). */
  private firstOrder(g: (value: number) => number): Float64Array {
    const n = this.design.baseSamples;
    const y = this.y;
    let mean = 0;
    for (let i = 0; i < 2 * n; i++) mean += g(y[i]);
    mean /= 2 * n;
    let variance = 0;
    for (let i = 0; i < 2 * n; i++) variance += (g(y[i]) - mean) ** 2;
    variance /= 2 * n;
    const indices = new Float64Array(this.groups);
    if (variance === 0) return indices;
    for (let group = 0; group < this.groups; group++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += g(y[n + i]) * (g(y[(group + 2) * n + i]) - g(y[i]));
      indices[group] = Math.max(0, sum / n / variance);
    }
    return indices;
  }
}

/** The feature's value at the design's point `at`. */
function draw(feature: FeatureEstimate, design: SaltelliDesign, at: number): number {
  switch (feature.kind) {
    case 'exact':
      return feature.value;
    case 'normal':
      return feature.value + feature.stderr * design.normals[at];
    case 'bootstrap':
      return feature.draws[Math.min(feature.draws.length - 1, Math.floor(design.uniforms[at] * feature.draws.length))];
  }
}
