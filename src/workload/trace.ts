import type { Uniform } from '../engine/random.js';
import { InputError } from '../errors.js';
import { host } from '../io/files.js';
import { poissonWithinSecond, scheduledPoissonArrivals, type ArrivalProcess, type RateStep } from './arrivals.js';
import { readCsvRecords, type CsvRecord } from '../io/csv-records.js';
import { MAX_EPOCH_SECONDS, MAX_TRACE_RATE } from './limits.js';
import type { TraceSpec } from './schema.js';

type Format = 'counts' | 'timestamps' | 'rates';
type TimeUnit = 's' | 'ms' | 'datetime';

/**
 * How the shipped traces' headers are recognised when the spec leaves format or columns out, and
 * what a spec that names them may not contradict: the format and unit their values are in.
 */
const KNOWN_COLUMNS: Record<string, { format: Format; timeUnit?: TimeUnit }> = {
  timestamp_ms: { format: 'timestamps', timeUnit: 'ms' }, // Mooncake
  TIMESTAMP: { format: 'timestamps', timeUnit: 'datetime' }, // Azure LLM 2023
  gmt_create: { format: 'timestamps', timeUnit: 'datetime' }, // Alibaba GenAI
  timestamp_anon: { format: 'rates', timeUnit: 's' }, // Alibaba GenAI API QPS
  requests: { format: 'counts' }, // Twitter 2021-08, NASA HTTP 1995
};

const FORMAT_HOLDS: Record<Format, string> = {
  counts: 'a count per second',
  timestamps: 'one request per row',
  rates: 'rate samples',
};

/**
 * Where a trace's replay must end, in run seconds: past it the run would exceed the longest run
 * (src/engine/limits.ts). `why` says where the bound comes from and how to lift it.
 */
export interface TraceLimit {
  seconds: number;
  why: string;
}

/** A number written in decimal (digits, optional fraction and exponent): not hex, binary, `Infinity` or blank. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function decimal(text: string | undefined): number {
  return text !== undefined && DECIMAL.test(text) ? Number(text) : NaN;
}

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
    const timeColumn = this.header.find((name) => KNOWN_COLUMNS[name]?.timeUnit !== undefined);
    const detected = timeColumn === undefined ? (this.header.length === 1 ? 'counts' : 'timestamps') : KNOWN_COLUMNS[timeColumn].format;
    const format: Format = spec.format ?? detected;
    // The only column of a one-column file is the one meant, whatever the format.
    const columnName = spec.column ?? (format === 'counts' || this.header.length === 1 ? this.header[0] : timeColumn);
    if (columnName === undefined) {
      throw new InputError(`workload.trace.column: cannot tell the time column of ${this.path}; name it`);
    }
    const known = Object.hasOwn(KNOWN_COLUMNS, columnName) ? KNOWN_COLUMNS[columnName] : undefined;
    const column = this.column(columnName, 'workload.trace.column');
    if (known !== undefined && known.format !== format) {
      throw new InputError(
        `${this.path}: workload.trace.format: "${format}" (${FORMAT_HOLDS[format]}), but column "${columnName}" holds ${FORMAT_HOLDS[known.format]}: expected "${known.format}"`,
      );
    }
    if (known?.timeUnit !== undefined && spec.timeUnit !== undefined && spec.timeUnit !== known.timeUnit) {
      throw new InputError(`${this.path}: workload.trace.timeUnit: "${spec.timeUnit}", but column "${columnName}" holds times in ${known.timeUnit}: expected "${known.timeUnit}" (or leave it out)`);
    }
    this.rejectOptionsOutside(format, spec);
    const timeUnit = spec.timeUnit ?? known?.timeUnit ?? 's';
    const valueColumn = format === 'rates' ? this.column(spec.valueColumn ?? 'value', 'workload.trace.valueColumn') : -1;
    return { format, column, valueColumn, timeUnit };
  }

  /** Options of one format given for a trace of another would be silently ignored: say so instead. */
  private rejectOptionsOutside(format: Format, spec: TraceSpec): void {
    const onlyFor: [keyof TraceSpec, Format[]][] = [
      ['timeUnit', ['timestamps', 'rates']],
      ['valueColumn', ['rates']],
      ['damping', ['counts']],
      ['maskGaps', ['counts']],
    ];
    for (const [field, formats] of onlyFor) {
      if (spec[field] !== undefined && !formats.includes(format)) {
        throw new InputError(`${this.path}: workload.trace.${field}: applies to ${formats.map((f) => `"${f}"`).join(' and ')} traces, and this one is "${format}"`);
      }
    }
  }

  fail(record: CsvRecord, column: number, expected: string): never {
    const value = record.fields[column];
    throw new InputError(
      `${this.path}:${record.line}: column "${this.header[column] ?? column + 1}" expected ${expected}, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`,
    );
  }

  /** The replay has reached `seconds` of run time at this record, past the longest run. */
  overrun(record: CsvRecord, seconds: number, limit: TraceLimit): never {
    throw new InputError(`${this.path}:${record.line}: this row lies ${seconds} s into the replay, past the longest run of ${limit.seconds} s (${limit.why})`);
  }

  /**
   * A slice that holds no rows would be a run of 0 seconds that looks complete: an error instead.
   * `rowsRead` counts the data rows read (after those skipped unparsed).
   */
  emptyWindow(spec: TraceSpec, rowsRead: number, detail: string): never {
    if (rowsRead === 0 && this.rowsSkipped === 0) throw new InputError(`${this.path}: a header and no data rows: expected at least one row after line 1`);
    const slice = `start ${spec.start ?? 0}${spec.duration === undefined ? '' : `, duration ${spec.duration}`}`;
    throw new InputError(`${this.path}: workload.trace.start: no rows in the asked window (${slice}): ${detail}`);
  }
}

/**
 * Opens a trace as an arrival process, after slicing, scaling and gap masking. With a `limit`, a
 * replay that would run past it is an error, before the run where the slice's duration says so,
 * else at the first row past it.
 */
export function openTrace(spec: TraceSpec, path: string, arrivalsStream: Uniform, roundingStream: Uniform, limit?: TraceLimit): ArrivalProcess {
  const file = new TraceFile(path, spec);
  const layout = file.layout;
  if (limit !== undefined && spec.duration !== undefined) {
    // Only a timestamp trace is compressed in time by its scale; counts and rates keep their seconds.
    const runSeconds = layout.format === 'timestamps' ? spec.duration / (spec.scale ?? 1) : Math.ceil(spec.duration);
    if (runSeconds > limit.seconds) throw new InputError(`${path}: workload.trace.duration: a replay of ${runSeconds} s is longer than the longest run, ${limit.seconds} s (${limit.why})`);
  }
  const size = Math.max(1, host().size(path));
  const process = openLayout(file, layout, spec, arrivalsStream, roundingStream, limit);
  process.progress = () => file.bytesRead / size;
  return process;
}

/** The per-second counts of a count trace, after slicing, damping, scaling and gap masking. */
export function readTraceCounts(spec: TraceSpec, path: string, rounding: Uniform): Generator<number> {
  const file = new TraceFile(path, spec);
  const layout = file.layout;
  if (layout.format !== 'counts') throw new InputError(`${path}: expected a per-second count trace, found ${layout.format}`);
  return perSecondCounts(file, layout.column, spec, rounding, undefined);
}

function openLayout(file: TraceFile, layout: TraceLayout, spec: TraceSpec, arrivals: Uniform, rounding: Uniform, limit: TraceLimit | undefined) {
  switch (layout.format) {
    case 'counts':
      return poissonWithinSecond(arrivals, perSecondCounts(file, layout.column, spec, rounding, limit));
    case 'timestamps':
      return timestampArrivals(file, layout, spec, limit);
    case 'rates':
      return scheduledPoissonArrivals(arrivals, rateSteps(file, layout, spec, limit));
  }
}

function* perSecondCounts(
  file: TraceFile,
  column: number,
  spec: TraceSpec,
  rounding: Uniform,
  limit: TraceLimit | undefined,
): Generator<number> {
  const first = Math.floor(spec.start ?? 0);
  const last = spec.duration === undefined ? Infinity : first + Math.ceil(spec.duration);
  const damping = spec.damping ?? 1;
  const scale = spec.scale ?? 1;
  const minGap = spec.maskGaps ?? Infinity;
  const longest = limit?.seconds ?? Infinity;
  let heldZeros = 0;
  let row = file.rowsSkipped;
  let rowsRead = 0;
  /** Seconds handed out so far: the replay's timeline (masked gaps are cut from it). */
  let seconds = 0;
  for (const record of file.records) {
    if (row >= last) break;
    rowsRead++;
    if (row++ < first) continue;
    const raw = decimal(record.fields[column]);
    if (!Number.isInteger(raw) || raw < 0) file.fail(record, column, 'a non-negative integer count');
    if (raw > MAX_TRACE_RATE) file.fail(record, column, `a count of at most ${MAX_TRACE_RATE} per second`);
    let count = Math.floor(raw / damping);
    if (scale !== 1) {
      const scaled = count * scale;
      if (scaled > MAX_TRACE_RATE) file.fail(record, column, `a count that times scale ${scale} is at most ${MAX_TRACE_RATE} per second (it gives ${scaled})`);
      count = Math.floor(scaled);
      if (rounding() < scaled - count) count++;
    }
    if (raw === 0 && minGap !== Infinity) {
      heldZeros++;
      continue;
    }
    if (heldZeros > 0 && heldZeros < minGap) for (; heldZeros > 0; heldZeros--, seconds++) yield 0;
    heldZeros = 0;
    if (seconds >= longest) file.overrun(record, seconds, limit as TraceLimit);
    seconds++;
    yield count;
  }
  if (heldZeros < minGap) for (; heldZeros > 0; heldZeros--, seconds++) yield 0;
  if (seconds === 0) {
    file.emptyWindow(spec, rowsRead, rowsRead === 0 ? `row ${first} (start) is past the trace's end` : `every second from row ${first} on is in a gap of zeros masked by maskGaps`);
  }
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?Z?$/;

/**
 * Seconds since the epoch of a time field, or NaN: a decimal number of seconds or milliseconds up
 * to the end of year 9999, or a real date and time (read as UTC without a zone; a leap second is not accepted).
 */
function parseTime(text: string, unit: TimeUnit): number {
  if (unit !== 'datetime') {
    const seconds = decimal(text) / (unit === 'ms' ? 1000 : 1);
    return Math.abs(seconds) <= MAX_EPOCH_SECONDS ? seconds : NaN;
  }
  const m = DATETIME.exec(text);
  if (m === null) return NaN;
  const [year, month, day, hour, minute, second] = [+m[1], +m[2], +m[3], +m[4], +m[5], +m[6]];
  const epochMs = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls fields over (2023-13-45 99:17:03 becomes a day in 2024): only a real date and time reads back unchanged.
  const back = new Date(epochMs);
  const real =
    back.getUTCFullYear() === year && back.getUTCMonth() === month - 1 && back.getUTCDate() === day && back.getUTCHours() === hour && back.getUTCMinutes() === minute && back.getUTCSeconds() === second;
  if (!real) return NaN;
  return m[7] === undefined ? epochMs / 1000 : epochMs / 1000 + Number(m[7]);
}

const EXPECTED_TIME: Record<TimeUnit, string> = {
  s: `a time in seconds (decimal, at most ${MAX_EPOCH_SECONDS}: 9999-12-31 23:59:59 UTC)`,
  ms: `a time in milliseconds (decimal, at most ${MAX_EPOCH_SECONDS}000: 9999-12-31 23:59:59 UTC)`,
  datetime: 'a date-time YYYY-MM-DD HH:MM:SS[.fraction] that exists on the calendar',
};

/**
 * The trace's times relative to its first row, ascending, within [start, start + duration),
 * shifted to begin at 0 and divided by `scale` (so scale 2 doubles the rate). A window without a
 * row is an error, and so is a row past the limit.
 */
function* relativeTimes(file: TraceFile, layout: TraceLayout, spec: TraceSpec, limit: TraceLimit | undefined): Generator<[number, CsvRecord]> {
  const start = spec.start ?? 0;
  const stop = spec.duration === undefined ? Infinity : start + spec.duration;
  const scale = spec.scale ?? 1;
  const longest = limit?.seconds ?? Infinity;
  let origin = NaN;
  let previous = -Infinity;
  let rowsRead = 0;
  let yielded = 0;
  for (const record of file.records) {
    rowsRead++;
    const time = parseTime(record.fields[layout.column] ?? '', layout.timeUnit);
    if (!Number.isFinite(time)) file.fail(record, layout.column, EXPECTED_TIME[layout.timeUnit]);
    if (time < previous) file.fail(record, layout.column, 'times in non-decreasing order');
    previous = time;
    if (Number.isNaN(origin)) origin = time;
    const relative = time - origin;
    if (relative < start) continue;
    if (relative >= stop) break;
    const replay = (relative - start) / scale;
    if (replay >= longest) file.overrun(record, replay, limit as TraceLimit);
    yielded++;
    yield [replay, record];
  }
  if (yielded === 0) {
    const span = rowsRead === 0 ? '' : `its rows read span 0 to ${previous - origin} s after the first`;
    file.emptyWindow(spec, rowsRead, span);
  }
}

function timestampArrivals(file: TraceFile, layout: TraceLayout, spec: TraceSpec, limit: TraceLimit | undefined): ArrivalProcess {
  const times = relativeTimes(file, layout, spec, limit);
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
function* rateSteps(file: TraceFile, layout: TraceLayout, spec: TraceSpec, limit: TraceLimit | undefined): Generator<RateStep> {
  const scale = spec.scale ?? 1;
  let previous = NaN;
  let interval = 0;
  for (const [time, record] of relativeTimes(file, layout, { ...spec, scale: 1 }, limit)) {
    const rate = decimal(record.fields[layout.valueColumn]);
    if (!(rate >= 0)) file.fail(record, layout.valueColumn, 'a non-negative rate');
    if (rate * scale > MAX_TRACE_RATE) file.fail(record, layout.valueColumn, `a rate that times scale ${scale} is at most ${MAX_TRACE_RATE} requests/s`);
    if (time > previous) interval = time - previous;
    previous = time;
    yield { time, rate: rate * scale };
  }
  if (!Number.isNaN(previous)) yield { time: spec.duration ?? previous + interval, rate: 0 };
}
