/**
 * An HDR histogram of non-negative integers (microseconds here) at 3 significant digits, with the
 * bucket layout of HdrHistogram (Gil Tene's; the same as hdr-histogram-js builds with
 * lowestDiscernibleValue 1, 3 digits and autoResize): bucket 0 counts 0 … 2047 one by one, and each
 * bucket b ≥ 1 counts 1024 … 2047 × 2^b in steps of 2^b, so a value is known within 1/1024 of
 * itself. Percentiles and the maximum are exactly what hdr-histogram-js reports for the same values
 * (test/unit/hdr-histogram.test.ts checks it against its JavaScript and WebAssembly builds).
 *
 * It is ours rather than the package's because recording is the hot path: every request records
 * its latencies, and a record here is a few integer operations and one increment, where the
 * package's WebAssembly build pays a call across the boundary (about a tenth of a run's time) and
 * its start-up decompresses the module.
 */
export class HdrHistogram {
  /** Counts by index: (bucket + 1) · 1024 + (sub-bucket − 1024); grows as larger values come. */
  private counts = new Float64Array(SUB_BUCKET_COUNT * 2);
  /** One past the highest index counted: a reset or a percentile reads no further (a window's histogram is reset every few seconds). */
  private top = 0;
  totalCount = 0;
  /** The largest value recorded (0 when empty). */
  maxValue = 0;

  recordValue(value: number): void {
    const index = indexOf(value);
    if (index >= this.top) {
      if (index >= this.counts.length) this.grow(index);
      this.top = index + 1;
    }
    this.counts[index]++;
    this.totalCount++;
    if (value > this.maxValue) this.maxValue = value;
  }

  /**
   * The value at or below which `percentile` % of the recorded values lie: the highest value
   * equivalent to the bucket where the cumulative count first reaches ⌈p/100 · total⌉ (the lowest
   * equivalent for p = 0); 0 when empty.
   */
  getValueAtPercentile(percentile: number): number {
    const fpCount = (Math.min(percentile, 100) / 100) * this.totalCount;
    // One ulp below, so that floating-point error never skips a count (HdrHistogram's rounding).
    const target = Math.max(Math.ceil(fpCount - ulp(fpCount)), 1);
    const counts = this.counts;
    let seen = 0;
    for (let i = 0; i < this.top; i++) {
      seen += counts[i];
      if (seen >= target) {
        const bucket = Math.max(0, Math.floor(i / HALF_COUNT) - 1);
        const value = valueOfIndex(i);
        return percentile === 0 ? value : value + 2 ** bucket - 1;
      }
    }
    return 0;
  }

  /** Adds every count of `other` to this one. */
  add(other: HdrHistogram): void {
    if (other.top > this.counts.length) this.grow(other.top - 1);
    for (let i = 0; i < other.top; i++) this.counts[i] += other.counts[i];
    this.top = Math.max(this.top, other.top);
    this.totalCount += other.totalCount;
    if (other.maxValue > this.maxValue) this.maxValue = other.maxValue;
  }

  reset(): void {
    this.counts.fill(0, 0, this.top);
    this.top = 0;
    this.totalCount = 0;
    this.maxValue = 0;
  }

  private grow(index: number): void {
    let length = this.counts.length;
    while (length <= index) length += HALF_COUNT;
    const counts = new Float64Array(length);
    counts.set(this.counts);
    this.counts = counts;
  }
}

const SUB_BUCKET_COUNT = 2048;
const HALF_COUNT = SUB_BUCKET_COUNT / 2;

/** A value's index: its bucket b (0 below 2048, else ⌊log2 value⌋ − 10) · 1024 + ⌊value / 2^b⌋. */
function indexOf(value: number): number {
  if (value < SUB_BUCKET_COUNT) {
    if (value < 0) badValue(value);
    return value;
  }
  // Integer operations below 2^32 (latencies up to 71 minutes in microseconds); exact division above.
  if (value < 0x100000000) {
    const bucket = 21 - Math.clz32(value);
    return bucket * HALF_COUNT + (value >>> bucket);
  }
  if (!(value <= Number.MAX_SAFE_INTEGER)) badValue(value);
  const bucket = 53 - Math.clz32(Math.floor(value / 0x100000000));
  return bucket * HALF_COUNT + Math.floor(value / 2 ** bucket);
}

function badValue(value: number): never {
  throw new RangeError(`a histogram value must be a non-negative integer, not ${value}`);
}

/** The lowest value an index counts. */
function valueOfIndex(index: number): number {
  const bucket = Math.floor(index / HALF_COUNT) - 1;
  if (bucket <= 0) return index;
  return ((index % HALF_COUNT) + HALF_COUNT) * 2 ** bucket;
}

/** The gap between x and the next larger double, as hdr-histogram-js reckons it. */
function ulp(x: number): number {
  return 2 ** (Math.floor(Math.log2(x)) - 52);
}
