import { InputError } from '../errors.js';
import { csvLines } from '../io/csv-write.js';
import { host } from '../io/files.js';
import { joinPath } from '../io/path.js';
import { packageRoot } from '../paths.js';
import { CsvTable } from './csv-table.js';
import { readInfAdapterCapacity } from './infadapter.js';
import { NAMED_PROFILES, type ProfileRef } from './registry.js';

/**
 * A profile's capacity data: per (variant, device, cores) and P99 SLO, the highest request rate one
 * pod sustains with its P99 within the SLO, serving one request at a time. Capacity-based policies
 * (InfAdapter, MS+) read it through their context. A profile file's data is a companion CSV next
 * to it (`capacityFileOf`) with these columns, and optionally `p99_ms` (the P99 measured at that
 * rate, empty when no rate met the SLO) and `saturation_rps` (the throughput under overload).
 */
export const CAPACITY_COLUMNS = ['variant', 'device', 'cores', 'slo_ms', 'capacity_rps'] as const;

/** One capacity measurement of a profile. */
export interface CapacityPoint {
  variant: string;
  device: string;
  cores: number;
  sloMs: number;
  capacityRps: number;
  /** P99 (ms) measured at the capacity rate; NaN where no rate met the SLO or it was not recorded. */
  p99Ms: number;
  /** Throughput under overload (requests/s); NaN where not recorded. */
  saturationRps: number;
}

/** One cell of a capacity table, measured against what the simulator computes from a profile. */
export interface CapacityComparison {
  variant: string;
  cores: number;
  sloMs: number;
  measuredRps: number;
  predictedRps: number;
  usedForCalibration: boolean;
}

/** The capacity file of a profile file: `runs/profile.csv` → `runs/profile.capacity.csv`. */
export function capacityFileOf(profileFile: string): string {
  return `${profileFile.replace(/\.csv$/i, '')}.capacity.csv`;
}

export function readCapacityCsv(path: string): CapacityPoint[] {
  const table = new CsvTable(path);
  for (const column of CAPACITY_COLUMNS) table.column(column);
  const optional = (row: CsvTable['rows'][number], column: string) => (table.has(column) ? table.number(row, column, { optional: true }) : NaN);
  // A measurement given twice would count twice in the capacity line a policy fits through them.
  const firstLine = new Map<string, number>();
  return table.rows.map((row) => {
    const point: CapacityPoint = {
      variant: table.text(row, 'variant'),
      device: table.text(row, 'device'),
      cores: table.number(row, 'cores', { positive: true }),
      sloMs: table.number(row, 'slo_ms', { positive: true }),
      capacityRps: table.number(row, 'capacity_rps'),
      p99Ms: optional(row, 'p99_ms'),
      saturationRps: optional(row, 'saturation_rps'),
    };
    const key = JSON.stringify([point.variant, point.device, point.cores, point.sloMs]);
    const first = firstLine.get(key);
    if (first !== undefined) throw new InputError(`${path}:${row.line}: duplicate capacity (variant ${point.variant}, device ${point.device}, ${point.cores} cores, ${point.sloMs} ms SLO), first on line ${first}`);
    firstLine.set(key, row.line);
    return point;
  });
}

export function formatCapacityCsv(points: CapacityPoint[]): string {
  const cell = (x: number) => (Number.isNaN(x) ? '' : String(Number(x.toFixed(4))));
  // Capacities are written exactly (the steady method already rounds them to 0.01 requests/s), so a line fitted to them is the same after reading back.
  return csvLines([[...CAPACITY_COLUMNS, 'p99_ms', 'saturation_rps'], ...points.map((p) => [p.variant, p.device, p.cores, p.sloMs, p.capacityRps, cell(p.p99Ms), cell(p.saturationRps)])]);
}

/**
 * InfAdapter's capacity table (profiles/infadapter/capacity_result_Feb_21.csv) as the `infadapter`
 * profile's capacity data, at the core counts InfAdapter's controller fits its capacity lines
 * through: 1, 2, 4, 8 and 16 of the 1–20 it measured (train_capacity_models.py). The other rows
 * stay in the table for `servesim calibrate`. Rows keep the file's order.
 */
const INFADAPTER_FITTED_CORES = [1, 2, 4, 8, 16];

function infadapterCapacityData(): CapacityPoint[] {
  return readInfAdapterCapacity(joinPath(packageRoot, 'profiles/infadapter/capacity_result_Feb_21.csv'))
    .filter((r) => INFADAPTER_FITTED_CORES.includes(r.cores))
    .map((r) => ({ variant: r.variant, device: 'cpu', cores: r.cores, sloMs: r.sloMs, capacityRps: r.capacityRps, p99Ms: r.p99Ms, saturationRps: r.saturationRps }));
}

/** The named profiles that ship capacity data, each read once per process (every InfAdapter and MS+ run asks). */
const NAMED_CAPACITY: Partial<Record<keyof typeof NAMED_PROFILES, () => CapacityPoint[]>> = { infadapter: infadapterCapacityData };
const namedCapacityCache = new Map<string, CapacityPoint[]>();

/**
 * The capacity data of one variant of a profile at a P99 SLO of `sloMs`, one point per core count;
 * `resolve` turns a profile file's name into its path (its capacity file lies next to it). Data
 * that is missing is one InputError naming the deployment, the profile and what to run.
 */
export function profileCapacity(ref: ProfileRef, sloMs: number, resolve: (file: string) => string, deployment: string): CapacityPoint[] {
  const label = ref.name === undefined ? `profile ${ref.file}` : `profile "${ref.name}"`;
  const missing = (what: string) => new InputError(`deployment "${deployment}": ${label} has no capacity data ${what}`);
  const profileAgain = ref.name === undefined ? `; profile again with \`servesim profile --out ${ref.file} --capacity-slo-ms ${sloMs}\`` : '';
  let points: CapacityPoint[];
  if (ref.name !== undefined) {
    const read = NAMED_CAPACITY[ref.name];
    if (read === undefined) {
      throw missing(`(of the named profiles only ${Object.keys(NAMED_CAPACITY).join(', ')} has it; \`servesim profile\` writes it with a profile of the testbed's models)`);
    }
    points = namedCapacityCache.get(ref.name) ?? read();
    namedCapacityCache.set(ref.name, points);
  } else {
    const path = capacityFileOf(resolve(ref.file as string));
    if (!host().exists(path)) throw missing(`(expected ${path}${profileAgain})`);
    points = readCapacityCsv(path);
  }
  const mine = points.filter((p) => p.variant === ref.variant && p.device === ref.device);
  const atSlo = mine.filter((p) => p.sloMs === sloMs);
  if (atSlo.length > 0) return atSlo;
  const has = mine.length === 0 ? 'none for this variant' : `${[...new Set(mine.map((p) => p.sloMs))].sort((a, b) => a - b).join(', ')} ms`;
  throw missing(`for ${ref.variant}/${ref.device} at a ${sloMs} ms P99 (it has ${has}${profileAgain})`);
}
