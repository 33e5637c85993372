import { median } from 'simple-statistics';
import { InputError } from '../errors.js';
import { CsvTable } from './csv-table.js';
import { readIpaFig2 } from './infadapter.js';
import type { SpongeCoefficients } from './sponge-model.js';
import type { ProfilePoint } from './table-model.js';

/** The files the stand-in is built from (profiles/PROVENANCE.md, "Named profile ipa-video"). */
export interface IpaStandinSources {
  /** IPA's Fig. 2: ResNet18–152 on one core, batch 1. */
  fig2: string;
  /** Ultralytics' YOLOv5 table: CPU batch-1 times. */
  yolo: string;
  /** The few profiling results IPA's notebooks print. */
  notebook: string;
  /** Sponge's fitted l(b, c) of a YOLOv5 variant: how cores shorten a batch. */
  shape: SpongeCoefficients;
}

/** What the stand-in takes from IPA's printed measurements. */
export interface IpaNotebookFit {
  /** IPA's yolov5m mean on one core at batch 1 over Ultralytics' CPU time for it. */
  yoloScale: number;
  /** P99 / mean of that measurement. */
  yoloP99OverMean: number;
  /** κ in l(b) = l(1)·(1 + κ(b − 1)): the median over IPA's saturated batch measurements. */
  batchSlope: number;
}

/**
 * κ from each saturated measurement at batch b > 1 against one at batch 1 of the same variant and
 * cores (ResNet50's batch 1 from Fig. 2): b·h(1)/h(b) = 1 + κ(b − 1). A run is saturated when its
 * load exceeds the throughput it reached.
 */
export function fitIpaNotebook(notebookPath: string, yoloPath: string, fig2Path: string): IpaNotebookFit {
  const table = new CsvTable(notebookPath);
  const rows = table.rows.map((row) => ({
    variant: table.text(row, 'variant'),
    cores: table.number(row, 'cores', { positive: true }),
    batch: table.number(row, 'max_batch', { positive: true }),
    load: table.number(row, 'load_rps', { positive: true }),
    mean: table.number(row, 'latency_avg_s', { positive: true }),
    p99: table.number(row, 'latency_p99_s', { positive: true }),
    throughput: table.number(row, 'throughput_max_rps', { positive: true }),
  }));
  const saturated = rows.filter((r) => r.load > r.throughput);
  const yolo = new CsvTable(yoloPath);
  const ultralytics = yolo.rows.find((row) => yolo.text(row, 'variant') === 'yolov5m');
  const reference = saturated.find((r) => r.variant === 'yolov5m' && r.cores === 1 && r.batch === 1);
  if (ultralytics === undefined || reference === undefined) throw new InputError(`${notebookPath}: expected a saturated yolov5m measurement on 1 core at batch 1, and yolov5m in ${yoloPath}`);
  const fig2 = readIpaFig2(fig2Path);
  const batchOne = (variant: string, cores: number) =>
    saturated.find((r) => r.variant === variant && r.cores === cores && r.batch === 1)?.throughput ?? (cores === 1 ? fig2.find((p) => p.variant === variant)?.throughputRps : undefined);
  const slopes = saturated.flatMap((r) => {
    const h1 = batchOne(r.variant, r.cores);
    return r.batch === 1 || h1 === undefined ? [] : [((r.batch * h1) / r.throughput - 1) / (r.batch - 1)];
  });
  if (slopes.length === 0) throw new InputError(`${notebookPath}: expected saturated measurements at batch sizes above 1`);
  return { yoloScale: reference.mean / (yolo.number(ultralytics, 'cpu_b1_ms', { positive: true }) / 1000), yoloP99OverMean: reference.p99 / reference.mean, batchSlope: median(slopes) };
}

/**
 * A stand-in for the per-variant profiles of IPA's video pipeline, which its authors measured but
 * did not publish. One core, batch 1: ResNet18–152 from IPA's Fig. 2 (mean 1/throughput, its
 * latency read as the P99); YOLOv5n–x from Ultralytics' CPU times (several threads on another
 * CPU) scaled to IPA's own yolov5m measurement, with that measurement's P99/mean. A batch of b
 * takes 1 + κ(b − 1) times a batch of one, κ from IPA's printed batch measurements (little gain
 * from batching on one thread); c cores shorten a batch as Sponge's l(1, c)/l(1, 1) does.
 */
export function ipaVideoStandin(sources: IpaStandinSources): ProfilePoint[] {
  const { yoloScale, yoloP99OverMean, batchSlope } = fitIpaNotebook(sources.notebook, sources.yolo, sources.fig2);
  const { shape } = sources;
  const l = (c: number) => shape.gamma / c + shape.delta + shape.epsilon / c + shape.eta;
  const base: { variant: string; mean: number; p99: number }[] = readIpaFig2(sources.fig2).map((p) => ({ variant: p.variant, mean: p.mean, p99: p.p99 }));
  const yolo = new CsvTable(sources.yolo);
  for (const row of yolo.rows) {
    const mean = (yoloScale * yolo.number(row, 'cpu_b1_ms', { positive: true })) / 1000;
    base.push({ variant: yolo.text(row, 'variant'), mean, p99: yoloP99OverMean * mean });
  }
  return base.flatMap(({ variant, mean, p99 }) =>
    [1, 2, 4, 8, 16].flatMap((cores) =>
      [1, 2, 4, 8].map((batch) => {
        const scale = (l(cores) / l(1)) * (1 + batchSlope * (batch - 1));
        return { variant, device: 'cpu', cores, batch, mean: mean * scale, p50: NaN, p99: p99 * scale, throughputRps: batch / (mean * scale), concurrency: 1 };
      }),
    ),
  );
}
