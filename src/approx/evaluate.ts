import type { Uniform } from '../engine/random.js';
import { Biathlon, exactFeatureRow, runExact, type ApproxRequest, type RoundTrace } from './biathlon.js';
import { partitionIid, DEFAULT_PARTITIONS } from './column.js';
import { costSlope, exactCost, roundCost, type CostModel } from './cost-model.js';
import { trainForest, trainLinear, trainMlp, type Model } from './models/index.js';
import type { GeneratedRequest, SyntheticPipeline } from './pipelines.js';

/**
 * Model settings (ours: the paper does not state its models' sizes). Its LightGBM, XGBoost and
 * random forests all become a random forest of 40 trees of depth 8 (ml-random-forest); the MLP has
 * two small hidden layers (32, 16), which keeps a QMC batch of up to 1,920 rows cheap.
 */
const FOREST = { trees: 40, maxDepth: 8 };
const MLP = { hidden: [32, 16], epochs: 150 };

/** A pipeline ready to serve: its trained model, δ, and the group sizes its planner's cost slopes come from. */
export interface PreparedPipeline {
  pipeline: SyntheticPipeline;
  model: Model;
  /** The model's mean absolute error against labels on validation requests (regression), else 0. */
  delta: number;
  /** Mean rows per query over the training requests. */
  meanRows: number[];
}

/** The exact feature vector of generated data (no sampling: each query's rows as one partition). */
export function exactFeatures(pipeline: SyntheticPipeline, request: GeneratedRequest): number[] {
  const columns = request.rows.map((values) => ({ values, offsets: Int32Array.of(0, values.length) }));
  return Array.from(exactFeatureRow(pipeline.shape, { fixed: request.fixed, columns }).features);
}

async function trainModel(pipeline: SyntheticPipeline, x: number[][], y: number[], seed: number): Promise<Model> {
  switch (pipeline.model) {
    case 'linear':
      return trainLinear(x, y);
    case 'forest':
      return trainForest(x, y, { task: pipeline.task, ...FOREST, seed });
    case 'mlp':
      return trainMlp(x, y, { task: pipeline.task, classes: pipeline.classes, ...MLP, seed });
  }
}

/** Predictions of a model on rows of features. */
export function predictRows(model: Model, rows: number[][]): number[] {
  const out = new Float64Array(rows.length);
  model.predict(Float64Array.from(rows.flat()), rows.length, out);
  return [...out];
}

/**
 * Trains the pipeline's model on the exact features of `trainRequests` generated requests and sets
 * δ to its mean absolute error on `validRequests` more (the paper's defaults look like its models'
 * MAE); classifiers get δ = 0, "the same class".
 */
export async function preparePipeline(
  pipeline: SyntheticPipeline,
  options: { trainRequests: number; validRequests: number; rowScale: number; seed: number; streams: (name: string) => Uniform },
): Promise<PreparedPipeline> {
  const collect = (count: number, u: Uniform) => {
    const x: number[][] = [];
    const y: number[] = [];
    const rows = new Array(pipeline.shape.queries.length).fill(0);
    for (let i = 0; i < count; i++) {
      const request = pipeline.generate(u, options.rowScale);
      x.push(exactFeatures(pipeline, request));
      y.push(request.label);
      request.rows.forEach((r, j) => (rows[j] += r.length / count));
    }
    return { x, y, rows };
  };
  const train = collect(options.trainRequests, options.streams(`${pipeline.name}:train`));
  const model = await trainModel(pipeline, train.x, train.y, options.seed);
  let delta = 0;
  if (pipeline.task === 'regression') {
    const valid = collect(options.validRequests, options.streams(`${pipeline.name}:valid`));
    const predicted = predictRows(model, valid.x);
    delta = predicted.reduce((sum, p, i) => sum + Math.abs(p - valid.y[i]), 0) / predicted.length;
  }
  return { pipeline, model, delta, meanRows: train.rows };
}

/** One (τ, δ) setting to serve a pipeline with. */
export interface Setting {
  tau: number;
  delta: number;
}

/** How one request went under one setting. */
export interface Outcome {
  prediction: number;
  met: boolean;
  rounds: number;
  sampleFraction: number;
  seconds: number;
  simulatedSeconds: number;
  trace: RoundTrace[];
}

export interface RequestEvaluation {
  label: number;
  exactPrediction: number;
  exactSeconds: number;
  exactSimulatedSeconds: number;
  /** The exact pipeline's work, for charging it under another cost model. */
  exactRows: number;
  exactPartitions: number;
  outcomes: Outcome[];
}

/**
 * Serves one generated request exactly and under each setting, timing each here and charging each
 * what the cost model says. The data are partitioned once, as at ingest.
 */
export class PipelineEvaluator {
  private readonly engines: Biathlon[];

  constructor(
    readonly prepared: PreparedPipeline,
    readonly settings: Setting[],
    readonly cost: CostModel,
  ) {
    const slopes = prepared.meanRows.map((rows) => costSlope(cost, rows, DEFAULT_PARTITIONS));
    this.engines = settings.map((s) => new Biathlon(prepared.model, prepared.pipeline.shape, s, slopes));
  }

  evaluate(generated: GeneratedRequest, u: Uniform): RequestEvaluation {
    const { pipeline, model } = this.prepared;
    const request: ApproxRequest = { fixed: generated.fixed, columns: generated.rows.map((rows) => partitionIid(rows, u)) };
    const exact = runExact(model, pipeline.shape, request);
    const outcomes = this.engines.map((engine, i): Outcome => {
      const result = engine.run(request, u);
      const delta = this.settings[i].delta;
      return {
        prediction: result.prediction,
        met: pipeline.task === 'regression' ? Math.abs(result.prediction - exact.prediction) <= delta : result.prediction === exact.prediction,
        rounds: result.rounds.length,
        sampleFraction: result.sampleFraction,
        seconds: result.seconds,
        simulatedSeconds: result.rounds.reduce((sum, r) => sum + roundCost(this.cost, r), 0),
        trace: result.rounds,
      };
    });
    return {
      label: generated.label,
      exactPrediction: exact.prediction,
      exactSeconds: exact.seconds,
      exactSimulatedSeconds: exactCost(this.cost, exact.rowsScanned, exact.partitionsScanned),
      exactRows: exact.rowsScanned,
      exactPartitions: exact.partitionsScanned,
      outcomes,
    };
  }
}

/** r² of predictions against labels (regression), or F1 (binary: of class 1; multi-class: macro). */
export function accuracy(task: 'regression' | 'classification', classes: number, predictions: number[], labels: number[]): number {
  if (task === 'regression') {
    const mean = labels.reduce((a, b) => a + b, 0) / labels.length;
    const residual = labels.reduce((sum, y, i) => sum + (y - predictions[i]) ** 2, 0);
    const total = labels.reduce((sum, y) => sum + (y - mean) ** 2, 0);
    return total === 0 ? 0 : 1 - residual / total;
  }
  const f1 = (c: number) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    predictions.forEach((p, i) => {
      if (p === c && labels[i] === c) tp++;
      else if (p === c) fp++;
      else if (labels[i] === c) fn++;
    });
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  };
  if (classes === 2) return f1(1);
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += f1(c);
  return sum / classes;
}
