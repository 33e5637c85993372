import { z } from 'zod';
import { SYNTHETIC_PIPELINES } from './pipelines.js';

/**
 * A deployment that serves one of the synthetic Biathlon pipelines: each request is a job whose
 * rounds (scan, QMC inference batch, planning) run back to back on one core, as in the paper's
 * setup, charged by the pipeline's calibrated cost model; or the exact pipeline's full scan.
 */
export const biathlonServingSchema = z
  .strictObject({
    pipeline: z.enum(SYNTHETIC_PIPELINES.map((p) => p.name) as [string, ...string[]]),
    mode: z.enum(['approximate', 'exact']).default('approximate').describe('Biathlon, or the exact pipeline'),
    tau: z.number().min(0).max(1).default(0.95).describe('Required confidence τ (Biathlon\'s default 0.95)'),
    deltaFactor: z.number().positive().default(1).describe('δ as a multiple of the model\'s MAE (regression; classifiers need the same class)'),
    requests: z.number().int().min(10).max(5000).default(200).describe('Generated requests whose job times are resampled'),
    rowScale: z.number().positive().default(1).describe('Multiplies every generated group size'),
    storage: z
      .enum(['memory', 'duckdb'])
      .default('memory')
      .describe('Where the rows live: in memory (costs measured here), or in a database fetched one SQL query per partition (costs measured on DuckDB)'),
    seed: z.number().int().nonnegative().default(1).describe('Seed of the generated data and the model'),
  })
  .describe('Job times of a Biathlon (or exact) pipeline, from generated requests really run through the algorithm');

export type BiathlonServing = z.infer<typeof biathlonServingSchema>;
