import { createRequire } from 'node:module';
import { mean } from 'simple-statistics';
import { nearestRankQuantileSorted } from '../metrics/quantile.js';
import type { ProfilePoint } from '../profiles/table-model.js';
import type { CnnVariant } from './onnx-model.js';

// onnxruntime-node ships its CPU runtime as a native addon; load it only when profiling.
const require = createRequire(import.meta.url);
type Ort = typeof import('onnxruntime-node');

export interface ProfileOptions {
  batches: number[];
  cores: number[];
  /** Timed runs per point, after `warmup` untimed ones. */
  runs: number;
  warmup: number;
  onProgress?: (status: string) => void;
}

/**
 * Measures the latency of one batch per (variant, cores, batch) with onnxruntime-node on this
 * machine's CPU: `cores` intra-op threads, one inter-op thread, sequential execution, as the
 * testbed's model servers run. Returns points in the project's profile format.
 */
export async function profileModels(models: { variant: CnnVariant; path: string }[], options: ProfileOptions): Promise<ProfilePoint[]> {
  const ort = require('onnxruntime-node') as Ort;
  const points: ProfilePoint[] = [];
  for (const { variant, path } of models) {
    for (const cores of options.cores) {
      const session = await ort.InferenceSession.create(path, {
        intraOpNumThreads: cores,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      for (const batch of options.batches) {
        options.onProgress?.(`${variant.name}, ${cores} cores, batch ${batch}`);
        const size = batch * 3 * variant.imageSize * variant.imageSize;
        const input = new ort.Tensor('float32', new Float32Array(size).fill(0.5), [batch, 3, variant.imageSize, variant.imageSize]);
        for (let i = 0; i < options.warmup; i++) await session.run({ input });
        const times: number[] = [];
        for (let i = 0; i < options.runs; i++) {
          const start = performance.now();
          await session.run({ input });
          times.push((performance.now() - start) / 1000);
        }
        times.sort((a, b) => a - b);
        const meanSeconds = mean(times);
        points.push({
          variant: variant.name,
          device: 'cpu',
          cores,
          batch,
          mean: meanSeconds,
          p50: nearestRankQuantileSorted(times, 0.5),
          p99: nearestRankQuantileSorted(times, 0.99),
          throughputRps: batch / meanSeconds,
          concurrency: 1,
        });
      }
      await session.release();
    }
  }
  return points;
}
