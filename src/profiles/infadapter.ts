import { CsvTable } from './csv-table.js';
import type { ProfilePoint } from './table-model.js';

/** One row of InfAdapter's capacity profile (profiles/infadapter/capacity_result_Feb_21.csv). */
export interface CapacityRow {
  variant: string;
  cores: number;
  sloMs: number;
  /** Measured P99 at the capacity rate, ms; NaN where no rate met the SLO. */
  p99Ms: number;
  capacityRps: number;
  saturationRps: number;
}

/** Reads the capacity table; variants are named `resnet<depth>` after its ARCH column. */
export function readInfAdapterCapacity(path: string): CapacityRow[] {
  const table = new CsvTable(path);
  return table.rows.map((row) => ({
    variant: `resnet${table.text(row, 'ARCH')}`,
    cores: table.number(row, 'CPU', { positive: true }),
    sloMs: table.number(row, 'SLA', { positive: true }),
    p99Ms: table.number(row, 'p99_latency', { optional: true }),
    capacityRps: table.number(row, 'capacity'),
    saturationRps: table.number(row, 'saturation_tp', { positive: true }),
  }));
}

/**
 * IPA's Fig. 2 ResNet numbers (one core, batch 1, by the figure's context) as profile points: the
 * mean is 1/throughput and the figure's latency is read as the p99 (IPA's reference latency).
 */
export function readIpaFig2(path: string): ProfilePoint[] {
  const table = new CsvTable(path);
  return table.rows.map((row) => {
    const throughput = table.number(row, 'throughput_rps', { positive: true });
    return {
      variant: table.text(row, 'variant'),
      device: 'cpu',
      cores: 1,
      batch: 1,
      mean: 1 / throughput,
      p50: NaN,
      p99: table.number(row, 'latency_ms', { positive: true }) / 1000,
      throughputRps: throughput,
      concurrency: 1,
    };
  });
}
