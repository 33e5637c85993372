import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { SYNTHETIC_PIPELINES, type SyntheticPipeline } from '../../approx/pipelines.js';
import { InputError } from '../../errors.js';
import { COST_MODELS_FILE, costModelFor, readCostModels, type CostModels } from '../../profiles/biathlon-jobs.js';
import { writeFileAtomic } from '../../io/atomic-file.js';
import type { ReproductionContext } from '../reproduction.js';
import { calibratePipelines, calibrateStorage, FULL, QUICK, reproducePipeline, type ReproductionSize, type SettingResult } from './sweep.js';

export interface BiathlonOptions {
  seed: string;
  pipelines?: string;
  calibrate?: boolean;
  costModel?: string;
}

export interface BiathlonResult {
  size: ReproductionSize;
  seed: number;
  pipelines: SyntheticPipeline[];
  costs: CostModels;
  /** Where the cost model came from, as the report names it. */
  costFile: string;
  results: SettingResult[];
  wallSeconds: number;
}

function parseSeed(text: string): number {
  const seed = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(seed)) throw new InputError(`--seed: expected a non-negative integer, got "${text}"`);
  return seed;
}

function pickPipelines(list: string | undefined): SyntheticPipeline[] {
  const names = list?.split(',') ?? SYNTHETIC_PIPELINES.map((p) => p.name);
  return names.map((name) => {
    const pipeline = SYNTHETIC_PIPELINES.find((p) => p.name === name);
    if (pipeline === undefined) throw new InputError(`--pipelines: unknown pipeline "${name}"; expected some of ${SYNTHETIC_PIPELINES.map((p) => p.name).join(', ')}`);
    return pipeline;
  });
}

/** The cost model measured on this machine (written to `out`), or read from a file. */
async function costModels(options: BiathlonOptions, pipelines: SyntheticPipeline[], size: ReproductionSize, seed: number, out: string, log: (line: string) => void): Promise<{ costs: CostModels; costFile: string }> {
  if (!options.calibrate) {
    const costs = readCostModels(options.costModel === undefined ? undefined : resolve(options.costModel));
    return { costs, costFile: options.costModel ?? COST_MODELS_FILE };
  }
  const costFile = join(out, 'cost_model.json');
  const pipelineCosts = await calibratePipelines(pipelines, size, seed, (name) => log(`calibrating the cost model: ${name}`));
  log('calibrating the storage costs: DuckDB, one query per partition');
  const duckdb = await calibrateStorage(pipelines, size, seed).catch((error: unknown) => {
    // Optional: without DuckDB the database column stays empty.
    if (error instanceof InputError) return (log(`  ${error.message}`), undefined);
    throw error;
  });
  const costs: CostModels = { machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`, node: process.version, pipelines: pipelineCosts, storage: duckdb === undefined ? {} : { duckdb } };
  writeFileAtomic(costFile, `${JSON.stringify(costs, null, 2)}\n`);
  return { costs, costFile };
}

/** The synthetic pipelines served exactly and by Biathlon, swept over τ and δ. */
export async function runBiathlon({ options, quick, out, onProgress, log }: ReproductionContext<BiathlonOptions>): Promise<BiathlonResult> {
  const started = performance.now();
  const size = quick ? QUICK : FULL;
  const seed = parseSeed(options.seed);
  const pipelines = pickPipelines(options.pipelines);
  const { costs, costFile } = await costModels(options, pipelines, size, seed, out, log);
  const results: SettingResult[] = [];
  for (const [i, pipeline] of pipelines.entries()) {
    const cost = costModelFor(costs, pipeline.name, 'memory', costFile);
    const database = costs.storage.duckdb === undefined ? null : costModelFor(costs, pipeline.name, 'duckdb', costFile);
    results.push(...(await reproducePipeline(pipeline, size, seed, cost, database, (fraction) => onProgress((i + fraction) / pipelines.length))));
  }
  return { size, seed, pipelines, costs, costFile, results, wallSeconds: (performance.now() - started) / 1000 };
}
