import { CsvTable } from './csv-table.js';
import { readIpaFig2 } from './infadapter.js';
import type { SpongeCoefficients } from './sponge-model.js';
import type { ProfilePoint } from './table-model.js';

/**
 * A stand-in for the per-variant profiles of IPA's video pipeline, which its authors measured but
 * did not publish. Batch-1 one-core latencies are published figures: ResNet18–152 from IPA's
 * Fig. 2 (mean 1/throughput, its latency read as the P99), YOLOv5n–x from Ultralytics' CPU batch-1
 * times (taken as the mean; P99/mean 1.25, the median ratio of Fig. 2). Other batch sizes and core
 * counts scale them by the shape l(b, c)/l(1, 1) of Sponge's fitted model of a YOLOv5 variant.
 */
export function ipaVideoStandin(fig2Path: string, yoloPath: string, shape: SpongeCoefficients): ProfilePoint[] {
  const l = (b: number, c: number) => shape.gamma * (b / c) + shape.delta * b + shape.epsilon / c + shape.eta;
  const base: { variant: string; mean: number; p99: number }[] = readIpaFig2(fig2Path).map((p) => ({ variant: p.variant, mean: p.mean, p99: p.p99 }));
  const yolo = new CsvTable(yoloPath);
  for (const row of yolo.rows) {
    const mean = yolo.number(row, 'cpu_b1_ms', { positive: true }) / 1000;
    base.push({ variant: yolo.text(row, 'variant'), mean, p99: 1.25 * mean });
  }
  return base.flatMap(({ variant, mean, p99 }) =>
    [1, 2, 4, 8, 16].flatMap((cores) =>
      [1, 2, 4, 8].map((batch) => {
        const scale = l(batch, cores) / l(1, 1);
        return { variant, device: 'cpu', cores, batch, mean: mean * scale, p50: NaN, p99: p99 * scale, throughputRps: batch / (mean * scale), concurrency: 1 };
      }),
    ),
  );
}
