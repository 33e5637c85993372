import { BatchMeans } from './batch-means.js';
import { HdrHistogram } from './hdr-histogram.js';

export interface LatencySummaryMs {
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  /** 99% confidence interval of the mean by batch means; null when the run is too short. */
  ci99: [number, number] | null;
}

const ms = (seconds: number) => round(seconds * 1000);

/** Rounds to 6 significant decimals so results print the same on every platform. */
export function round(value: number, digits = 6): number {
  return Number(value.toFixed(digits));
}

/**
 * Durations (seconds in, milliseconds out): exact mean, HDR-histogram percentiles and a
 * batch-means confidence interval of the mean.
 */
export class LatencyStats {
  count = 0;
  private sum = 0;
  private readonly histogram = new HdrHistogram();
  private readonly batchMeans = new BatchMeans();

  record(seconds: number): void {
    this.count++;
    this.sum += seconds;
    this.histogram.recordValue(Math.round(seconds * 1e6));
    this.batchMeans.add(seconds);
  }

  get mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }

  /** Percentile (0–100) in seconds. */
  percentile(p: number): number {
    return this.count === 0 ? NaN : this.histogram.getValueAtPercentile(p) / 1e6;
  }

  summaryMs(): LatencySummaryMs {
    if (this.count === 0) return { mean: null, p50: null, p90: null, p95: null, p99: null, max: null, ci99: null };
    const ci = this.batchMeans.interval99();
    return {
      mean: ms(this.mean),
      p50: ms(this.percentile(50)),
      p90: ms(this.percentile(90)),
      p95: ms(this.percentile(95)),
      p99: ms(this.percentile(99)),
      max: ms(this.histogram.maxValue / 1e6),
      ci99: ci === null ? null : [ms(ci[0]), ms(ci[1])],
    };
  }
}
