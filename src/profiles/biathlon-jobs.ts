import { z } from 'zod';
import { RandomStreams } from '../engine/random.js';
import { InputError } from '../errors.js';
import { host } from '../io/files.js';
import { joinPath } from '../io/path.js';
import { packageRoot } from '../paths.js';
import { withStorage, type CostModel, type Storage, type StorageCost } from '../approx/cost-model.js';
import { accuracy, PipelineEvaluator, preparePipeline } from '../approx/evaluate.js';
import { syntheticPipeline } from '../approx/pipelines.js';
import type { BiathlonServing } from '../approx/schema.js';

/** The cost models measured by `servesim reproduce biathlon --calibrate` on the reference machine (profiles/PROVENANCE.md). */
export const COST_MODELS_FILE = 'profiles/biathlon/cost_model.json';

/** The cost model file: per pipeline the in-memory costs, and per storage engine its fetch costs. */
export interface CostModels {
  machine: string;
  node: string;
  pipelines: Record<string, CostModel>;
  storage: Partial<Record<Exclude<Storage, 'memory'>, StorageCost>>;
}

const seconds = z.number().nonnegative();
const costModelSchema = z.strictObject({ rowSeconds: seconds, partitionSeconds: seconds, bootstrapRowSeconds: seconds, modelRowSeconds: seconds, roundSeconds: seconds });
const costModelsSchema = z.object({
  machine: z.string(),
  node: z.string(),
  pipelines: z.record(z.string(), costModelSchema),
  storage: z.object({ duckdb: z.strictObject({ engine: z.string(), partitionSeconds: seconds, rowSeconds: seconds, queries: z.number().int() }).optional() }).default({}),
});

export function readCostModels(file = joinPath(packageRoot, COST_MODELS_FILE)): CostModels {
  if (!host().exists(file)) throw new InputError(`${file}: Biathlon cost models not found (run \`servesim reproduce biathlon --calibrate\`)`);
  let json: unknown;
  try {
    json = JSON.parse(host().readText(file));
  } catch (error) {
    throw new InputError(`${file}: not JSON (${(error as Error).message})`);
  }
  const parsed = costModelsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** A pipeline's cost model with its rows in `storage`. */
export function costModelFor(models: CostModels, pipeline: string, storage: Storage, file = COST_MODELS_FILE): CostModel {
  const cost = models.pipelines[pipeline];
  if (cost === undefined) throw new InputError(`${file}: no cost model for pipeline "${pipeline}"`);
  if (storage === 'memory') return cost;
  const measured = models.storage[storage];
  if (measured === undefined) throw new InputError(`${file}: no "${storage}" storage costs (calibrate with @duckdb/node-api installed)`);
  return withStorage(cost, measured);
}

/** Seconds each generated request takes to serve, and what serving that way is worth. */
export interface JobTable {
  seconds: Float64Array;
  /** r² (regression) or F1 (classification) of the served predictions against the labels. */
  accuracy: number;
  /** Share of requests whose output met the guarantee (1 for the exact pipeline). */
  meetRate: number;
}

/** Both ways of serving the same generated requests. */
type JobTables = Record<BiathlonServing['mode'], JobTable>;

const tables = new Map<string, JobTables>();

/** Exact and approximate serving share their generated requests, so one key covers both. */
const keyOf = (serving: BiathlonServing) => JSON.stringify({ ...serving, mode: undefined });

/**
 * The job times of a Biathlon deployment: its generated requests really run through the algorithm
 * and the exact pipeline, each charged what the cost model says its rounds did. Built once per
 * process and setting, before the run, since training the model is asynchronous.
 */
export async function biathlonJobs(serving: BiathlonServing): Promise<JobTable> {
  const cached = tables.get(keyOf(serving));
  if (cached !== undefined) return cached[serving.mode];
  const pipeline = syntheticPipeline(serving.pipeline);
  if (pipeline === undefined) throw new InputError(`biathlon.pipeline: unknown pipeline "${serving.pipeline}"`);
  const cost = costModelFor(readCostModels(), pipeline.name, serving.storage);
  const streams = new RandomStreams(serving.seed);
  const prepared = await preparePipeline(pipeline, { trainRequests: 300, validRequests: 100, rowScale: serving.rowScale, seed: serving.seed, streams: (name) => streams.uniform(name) });
  const evaluator = new PipelineEvaluator(prepared, [{ tau: serving.tau, delta: prepared.delta * serving.deltaFactor }], cost);
  const data = streams.uniform(`${pipeline.name}:jobs`);
  const serve = streams.uniform(`${pipeline.name}:serve`);
  const exactSeconds = new Float64Array(serving.requests);
  const approximateSeconds = new Float64Array(serving.requests);
  const exactPredictions: number[] = [];
  const approximatePredictions: number[] = [];
  const labels: number[] = [];
  let met = 0;
  for (let i = 0; i < serving.requests; i++) {
    const evaluation = evaluator.evaluate(pipeline.generate(data, serving.rowScale), serve);
    const outcome = evaluation.outcomes[0];
    exactSeconds[i] = evaluation.exactSimulatedSeconds;
    approximateSeconds[i] = outcome.simulatedSeconds;
    exactPredictions.push(evaluation.exactPrediction);
    approximatePredictions.push(outcome.prediction);
    labels.push(evaluation.label);
    if (outcome.met) met++;
  }
  const score = (predictions: number[]) => accuracy(pipeline.task, pipeline.classes, predictions, labels);
  const both: JobTables = {
    exact: { seconds: exactSeconds, accuracy: score(exactPredictions), meetRate: 1 },
    approximate: { seconds: approximateSeconds, accuracy: score(approximatePredictions), meetRate: met / serving.requests },
  };
  tables.set(keyOf(serving), both);
  return both[serving.mode];
}

/** The job table of a deployment, once `biathlonJobs` has built it (`prepareServiceTimes` does, before a run is built). */
export function preparedJobs(serving: BiathlonServing): JobTable {
  const table = tables.get(keyOf(serving));
  if (table === undefined) throw new Error('Biathlon job table used before biathlonJobs built it (prepareServiceTimes)');
  return table[serving.mode];
}

