import { statSync } from 'node:fs';
import type { Uniform } from '../engine/random.js';
import { InputError } from '../errors.js';
import { poissonWithinSecond, scheduledPoissonArrivals, type ArrivalProcess, type RateStep } from './arrivals.js';
import { readCsvRecords, type CsvRecord } from '../io/csv-records.js';
import type { TraceSpec } from './schema.js';

type Format = 'counts' | 'timestamps' | 'rates';
type TimeUnit = 's' | 'ms' | 'datetime';

/** How the shipped traces' headers are recognised when the spec leaves format or columns out. */
const KNOWN_TIME_COLUMNS: Record<string, TimeUnit> = {
  timestamp_ms: 'ms', // Mooncake
  TIMESTAMP: 'datetime', // Azure LLM 2023
  gmt_create: 'datetime', // Alibaba GenAI
  timestamp_anon: 's', // Alibaba GenAI API QPS (rates)
};

interface TraceLayout {
  format: Format;
  column: number;
  valueColumn: number;
  timeUnit: TimeUnit;
}

/**
 * A trace file read as a stream of records, with the byte position for progress. The rows of a
 * count trace before `spec.start` are skipped unparsed.
 */
class TraceFile {
  readonly records: Generator<CsvRecord>;
  header: string[] = [];
  readonly layout: TraceLayout;
  /** Data rows passed over before the first record. */
  rowsSkipped = 0;
  bytesRead = 0;

  constructor(
    readonly path: string,
    spec: TraceSpec,
  ) {
    let layout: TraceLayout | undefined;
    this.records = this.track(
      readCsvRecords(path, (header) => {
        this.header = header;
        layout = this.layoutOf(spec);
        this.rowsSkipped = layout.format === 'counts' ? Math.floor(spec.start ?? 0) : 0;
        return this.rowsSkipped;
      }),
    );
    this.records.next();
    if (layout === undefined || this.header.length === 0 || this.header[0] === '') {
      throw new InputError(`${path}: empty trace, expected a header line`);
    }
    this.layout = layout;
  }

  private *track(records: Generator<CsvRecord>): Generator<CsvRecord> {
    for (const record of records) {
      this.bytesRead = record.bytesRead;
      yield record;
    }
  }

  column(name: string, field: string): number {
    const index = this.header.indexOf(name);
    if (index < 0) throw new InputError(`${field}: column "${name}" not in ${this.path} (header: ${this.header.join(',')})`);
    return index;
  }

  private layoutOf(spec: TraceSpec): TraceLayout {
    const timeColumn = this.header.find((name) => name in KNOWN_TIME_COLUMNS);
    const format: Format =
      spec.format ?? (this.header.length === 1 ? 'counts' : timeColumn === 'timestamp_anon' ? 'rates' : 'timestamps');
    const columnName = spec.column ?? (format === 'counts' ? this.header[0] : timeColumn);
    if (columnName === undefined) {
      throw new InputError(`workload.trace.column: cannot tell the time column of ${this.path}; name it`);
    }
    const timeUnit = spec.timeUnit ?? KNOWN_TIME_COLUMNS[columnName] ?? 's';
    const valueColumn = format === 'rates' ? this.column(spec.valueColumn ?? 'value', 'workload.trace.valueColumn') : -1;
    return { format, column: this.column(columnName, 'workload.trace.column'), valueColumn, timeUnit };
  }

  fail(record: CsvRecord, column: number, expected: string): never {
    const value = record.fields[column];
    throw new InputError(
      `${this.path}:${record.line}: column "${this.header[column] ?? column + 1}" expected ${expected}, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`,
    );
  }
}

/** Opens a trace as an arrival process, after slicing, scaling and gap masking. */
export function openTrace(spec: TraceSpec, path: string, arrivalsStream: Uniform, roundingStream: Uniform): ArrivalProcess {
  const file = new TraceFile(path, spec);
  const layout = file.layout;
  const size = Math.max(1, statSync(path).size);
  const process = openLayout(file, layout, spec, arrivalsStream, roundingStream);
  process.progress = () => file.bytesRead / size;
  return process;
}

/** The per-second counts of a count trace, after slicing, damping, scaling and gap masking. */
export function readTraceCounts(spec: TraceSpec, path: string, rounding: Uniform): Generator<number> {
  const file = new TraceFile(path, spec);
  const layout = file.layout;
  if (layout.format !== 'counts') throw new InputError(`${path}: expected a per-second count trace, found ${layout.format}`);
  return perSecondCounts(file, layout.column, spec, rounding);
}

function openLayout(file: TraceFile, layout: TraceLayout, spec: TraceSpec, arrivals: Uniform, rounding: Uniform) {
  switch (layout.format) {
    case 'counts':
      return poissonWithinSecond(arrivals, perSecondCounts(file, layout.column, spec, rounding));
    case 'timestamps':
      return timestampArrivals(file, layout, spec);
    case 'rates':
      return scheduledPoissonArrivals(arrivals, rateSteps(file, layout, spec));
  }
}

function* perSecondCounts(
  file: TraceFile,
  column: number,
  spec: TraceSpec,
  rounding: Uniform,
): Generator<number> {
  const first = Math.floor(spec.start ?? 0);
  const last = spec.duration === undefined ? Infinity : first + Math.ceil(spec.duration);
  const damping = spec.damping ?? 1;
  const scale = spec.scale ?? 1;
  const minGap = spec.maskGaps ?? Infinity;
  let heldZeros = 0;
  let row = file.rowsSkipped;
  for (const record of file.records) {
    if (row >= last) break;
    if (row++ < first) continue;
    const text = record.fields[column];
    const raw = Number(text);
    if (text === '' || !Number.isInteger(raw) || raw < 0) file.fail(record, column, 'a non-negative integer count');
    let count = Math.floor(raw / damping);
    if (scale !== 1) {
      const scaled = count * scale;
      count = Math.floor(scaled);
      if (rounding() < scaled - count) count++;
    }
    if (raw === 0 && minGap !== Infinity) {
      heldZeros++;
      continue;
    }
    if (heldZeros > 0 && heldZeros < minGap) for (; heldZeros > 0; heldZeros--) yield 0;
    heldZeros = 0;
    yield count;
  }
  if (heldZeros < minGap) for (; heldZeros > 0; heldZeros--) yield 0;
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?Z?$/;

/** Seconds since the epoch of a time field, or NaN. Datetimes without a zone are read as UTC. */
function parseTime(text: string, unit: TimeUnit): number {
  if (unit !== 'datetime') return text === '' ? NaN : Number(text) / (unit === 'ms' ? 1000 : 1);
  const m = DATETIME.exec(text);
  if (m === null) return NaN;
  const whole = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000;
  return m[7] === undefined ? whole : whole + Number(m[7]);
}

const EXPECTED_TIME: Record<TimeUnit, string> = {
  s: 'a time in seconds',
  ms: 'a time in milliseconds',
  datetime: 'a date-time YYYY-MM-DD HH:MM:SS[.fraction]',
};

/**
 * The trace's times relative to its first row, ascending, within [start, start + duration),
 * shifted to begin at 0 and divided by `scale` (so scale 2 doubles the rate).
 */
function* relativeTimes(file: TraceFile, layout: TraceLayout, spec: TraceSpec): Generator<[number, CsvRecord]> {
  const start = spec.start ?? 0;
  const stop = spec.duration === undefined ? Infinity : start + spec.duration;
  const scale = spec.scale ?? 1;
  let origin = NaN;
  let previous = -Infinity;
  for (const record of file.records) {
    const time = parseTime(record.fields[layout.column] ?? '', layout.timeUnit);
    if (!Number.isFinite(time)) file.fail(record, layout.column, EXPECTED_TIME[layout.timeUnit]);
    if (time < previous) file.fail(record, layout.column, 'times in non-decreasing order');
    previous = time;
    if (Number.isNaN(origin)) origin = time;
    const relative = time - origin;
    if (relative < start) continue;
    if (relative >= stop) return;
    yield [(relative - start) / scale, record];
  }
}

function timestampArrivals(file: TraceFile, layout: TraceLayout, spec: TraceSpec): ArrivalProcess {
  const times = relativeTimes(file, layout, spec);
  let last = 0;
  const process = {
    end: Infinity,
    next(): number {
      const step = times.next();
      if (step.done) {
        process.end = spec.duration === undefined ? Math.ceil(last) : spec.duration / (spec.scale ?? 1);
        return Infinity;
      }
      return (last = step.value[0]);
    },
  };
  return process;
}

/**
 * Rate samples as schedule steps; each sample holds until the next, and the last one for one more
 * sampling interval (or until the sliced duration), after which the rate is 0 and the workload ends.
 */
function* rateSteps(file: TraceFile, layout: TraceLayout, spec: TraceSpec): Generator<RateStep> {
  const scale = spec.scale ?? 1;
  let previous = NaN;
  let interval = 0;
  for (const [time, record] of relativeTimes(file, layout, { ...spec, scale: 1 })) {
    const text = record.fields[layout.valueColumn];
    const rate = Number(text);
    if (text === undefined || text === '' || !(rate >= 0)) file.fail(record, layout.valueColumn, 'a non-negative rate');
    if (time > previous) interval = time - previous;
    previous = time;
    yield { time, rate: rate * scale };
  }
  if (!Number.isNaN(previous)) yield { time: spec.duration ?? previous + interval, rate: 0 };
}
