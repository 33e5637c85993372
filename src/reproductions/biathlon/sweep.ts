import { mean, sum } from 'simple-statistics';
import { RandomStreams } from '../../engine/random.js';
import { calibrateCosts, OFFLINE_REQUESTS } from '../../approx/calibrate.js';
import { exactCost, roundCost, type CostModel, type StorageCost } from '../../approx/cost-model.js';
import { measureDuckDbStorage } from '../../approx/duckdb-storage.js';
import { partitionIid } from '../../approx/column.js';
import { accuracy, PipelineEvaluator, preparePipeline, type PreparedPipeline, type RequestEvaluation, type Setting } from '../../approx/evaluate.js';
import type { SyntheticPipeline } from '../../approx/pipelines.js';
import { nearestRankQuantile } from '../../metrics/quantile.js';

/** τ swept (Biathlon's grid, evaluate_all.py, without 0) and δ swept as multiples of the default (its grid is MAE × 1/8 … 16). */
export const TAU_GRID = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99];
export const DELTA_FACTORS = [0.25, 0.5, 1, 2, 4];
const DEFAULT_TAU = 0.95;

export interface ReproductionSize {
  trainRequests: number;
  testRequests: number;
  /** Multiplies every generated group size. */
  rowScale: number;
}

export const FULL: ReproductionSize = { trainRequests: 500, testRequests: 400, rowScale: 1 };
export const QUICK: ReproductionSize = { trainRequests: 300, testRequests: 150, rowScale: 0.5 };

/** One pipeline under one setting, over all test requests. */
export interface SettingResult {
  pipeline: string;
  task: SyntheticPipeline['task'];
  tau: number;
  delta: number;
  deltaFactor: number;
  requests: number;
  speedup: number;
  simulatedSpeedup: number;
  /** The same work charged with its rows fetched from DuckDB, one query per partition; null without those costs. */
  databaseSpeedup: number | null;
  meetRate: number;
  /** τ less two binomial standard errors: the meet rate a correct guarantee stays above with ~97.5 % probability. */
  meetRateFloor: number;
  accuracy: number;
  exactAccuracy: number;
  meanSampleFraction: number;
  meanRounds: number;
  exactMs: number;
  approxMs: number;
  approxP50Ms: number;
  approxP99Ms: number;
  simulatedExactMs: number;
  simulatedApproxMs: number;
  databaseExactMs: number | null;
  databaseApproxMs: number | null;
}

/** A setting with its δ as a multiple of the pipeline's default. */
export type SweepSetting = Setting & { deltaFactor: number };

/** The settings a pipeline is served under: τ swept at its δ, then δ swept at τ = 0.95 (regression only). */
export function settingsFor(prepared: PreparedPipeline): SweepSetting[] {
  const taus = TAU_GRID.map((tau) => ({ tau, delta: prepared.delta, deltaFactor: 1 }));
  if (prepared.pipeline.task === 'classification') return taus;
  return [...taus, ...DELTA_FACTORS.filter((f) => f !== 1).map((f) => ({ tau: DEFAULT_TAU, delta: prepared.delta * f, deltaFactor: f }))];
}

function summarizeSetting(prepared: PreparedPipeline, setting: SweepSetting, index: number, evaluations: RequestEvaluation[], database: CostModel | null): SettingResult {
  const { pipeline } = prepared;
  const outcomes = evaluations.map((e) => e.outcomes[index]);
  const labels = evaluations.map((e) => e.label);
  const n = evaluations.length;
  const databaseExact = database === null ? null : sum(evaluations.map((e) => exactCost(database, e.exactRows, e.exactPartitions)));
  const databaseApprox = database === null ? null : sum(outcomes.map((o) => sum(o.trace.map((r) => roundCost(database, r)))));
  return {
    pipeline: pipeline.name,
    task: pipeline.task,
    tau: setting.tau,
    delta: setting.delta,
    deltaFactor: setting.deltaFactor,
    requests: n,
    speedup: sum(evaluations.map((e) => e.exactSeconds)) / sum(outcomes.map((o) => o.seconds)),
    simulatedSpeedup: sum(evaluations.map((e) => e.exactSimulatedSeconds)) / sum(outcomes.map((o) => o.simulatedSeconds)),
    databaseSpeedup: databaseExact === null || databaseApprox === null ? null : databaseExact / databaseApprox,
    meetRate: outcomes.filter((o) => o.met).length / n,
    meetRateFloor: setting.tau - 2 * Math.sqrt((setting.tau * (1 - setting.tau)) / n),
    accuracy: accuracy(pipeline.task, pipeline.classes, outcomes.map((o) => o.prediction), labels),
    exactAccuracy: accuracy(pipeline.task, pipeline.classes, evaluations.map((e) => e.exactPrediction), labels),
    meanSampleFraction: mean(outcomes.map((o) => o.sampleFraction)),
    meanRounds: mean(outcomes.map((o) => o.rounds)),
    exactMs: 1000 * mean(evaluations.map((e) => e.exactSeconds)),
    approxMs: 1000 * mean(outcomes.map((o) => o.seconds)),
    approxP50Ms: 1000 * nearestRankQuantile(outcomes.map((o) => o.seconds), 0.5),
    approxP99Ms: 1000 * nearestRankQuantile(outcomes.map((o) => o.seconds), 0.99),
    simulatedExactMs: 1000 * mean(evaluations.map((e) => e.exactSimulatedSeconds)),
    simulatedApproxMs: 1000 * mean(outcomes.map((o) => o.simulatedSeconds)),
    databaseExactMs: databaseExact === null ? null : (1000 * databaseExact) / n,
    databaseApproxMs: databaseApprox === null ? null : (1000 * databaseApprox) / n,
  };
}

/**
 * Reproduces Biathlon on one synthetic pipeline: trains its model, then serves `testRequests`
 * generated requests exactly and under every setting, really executed here, and charged by the
 * cost model as the simulator would.
 */
export async function reproducePipeline(
  pipeline: SyntheticPipeline,
  size: ReproductionSize,
  seed: number,
  cost: CostModel,
  /** The same costs with the rows fetched from a database, or null. */
  database: CostModel | null,
  onProgress: (fraction: number) => void = () => {},
): Promise<SettingResult[]> {
  const streams = new RandomStreams(seed);
  const prepared = await preparePipeline(pipeline, { trainRequests: size.trainRequests, validRequests: Math.ceil(size.trainRequests / 3), rowScale: size.rowScale, seed, streams: (name) => streams.uniform(name) });
  const settings = settingsFor(prepared);
  const evaluator = new PipelineEvaluator(prepared, settings, cost);
  const data = streams.uniform(`${pipeline.name}:test`);
  const serving = streams.uniform(`${pipeline.name}:serve`);
  const evaluations: RequestEvaluation[] = [];
  onProgress(0);
  for (let i = 0; i < size.testRequests; i++) {
    evaluations.push(evaluator.evaluate(pipeline.generate(data, size.rowScale), serving));
    onProgress((i + 1) / size.testRequests);
  }
  return settings.map((s, i) => summarizeSetting(prepared, s, i, evaluations, database));
}

/**
 * Measures DuckDB's partition fetch costs on the rows of a few generated requests of each
 * pipeline (their first two, at most two million rows in all).
 */
export async function calibrateStorage(pipelines: readonly SyntheticPipeline[], size: ReproductionSize, seed: number): Promise<StorageCost> {
  const streams = new RandomStreams(seed);
  const columns = [];
  let rows = 0;
  for (const pipeline of pipelines) {
    const u = streams.uniform(`${pipeline.name}:storage`);
    for (let i = 0; i < 2; i++) {
      for (const values of pipeline.generate(u, size.rowScale).rows) {
        if (rows + values.length > 2_000_000) continue;
        rows += values.length;
        columns.push(partitionIid(values, u));
      }
    }
  }
  return measureDuckDbStorage(columns);
}

/** Measures every pipeline's cost model on this machine (Biathlon's offline profiling). */
export async function calibratePipelines(
  pipelines: readonly SyntheticPipeline[],
  size: ReproductionSize,
  seed: number,
  onPipeline: (name: string) => void = () => {},
): Promise<Record<string, CostModel>> {
  const models: Record<string, CostModel> = {};
  for (const pipeline of pipelines) {
    onPipeline(pipeline.name);
    const streams = new RandomStreams(seed);
    const prepared = await preparePipeline(pipeline, { trainRequests: size.trainRequests, validRequests: Math.ceil(size.trainRequests / 3), rowScale: size.rowScale, seed, streams: (name) => streams.uniform(name) });
    models[pipeline.name] = calibrateCosts(prepared, streams.uniform(`${pipeline.name}:offline`), { requests: OFFLINE_REQUESTS, rowScale: size.rowScale });
  }
  return models;
}
