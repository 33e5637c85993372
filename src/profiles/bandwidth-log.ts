import { InputError } from '../errors.js';
import { host } from '../io/files.js';

/**
 * A mobile bandwidth log (the Ghent 4G/LTE logs Sponge uses): whitespace-separated rows whose
 * column 2 is ms since the start, 5 the bytes received in the interval and 6 the interval in ms.
 * Bandwidth is bytes/interval (bytes per ms), held until the next row; the log repeats cyclically.
 */
export class BandwidthLog {
  private readonly times: Float64Array;
  private readonly bytesPerMs: Float64Array;
  private readonly span: number;

  constructor(readonly path: string) {
    let text: string;
    try {
      text = host().readText(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new InputError(code === 'EISDIR' ? `${path}: is a directory, expected a bandwidth log file` : `${path}: cannot read (${code ?? 'error'})`);
    }
    const rows = text.split('\n').map((line, i) => ({ fields: line.trim().split(/\s+/), line: i + 1 })).filter((r) => r.fields[0] !== '');
    if (rows.length < 2) throw new InputError(`${path}: ${rows.length === 0 ? 'empty' : 'one row only'}, expected at least 2 rows of bandwidth samples`);
    this.times = new Float64Array(rows.length);
    this.bytesPerMs = new Float64Array(rows.length);
    let previousMs = -Infinity;
    rows.forEach(({ fields, line }, i) => {
      const [since, bytes, interval] = [Number(fields[1]), Number(fields[4]), Number(fields[5])];
      if (!Number.isFinite(since) || since < 0 || !Number.isFinite(bytes) || bytes < 0 || !Number.isFinite(interval) || interval <= 0) {
        throw new InputError(`${path}:${line}: expected ms since start, bytes and interval ms in columns 2, 5 and 6`);
      }
      // The replay looks samples up by time: out of order, it would hold the wrong sample's bandwidth.
      if (since <= previousMs) throw new InputError(`${path}:${line}: ${since} ms since start is not after the previous row's ${previousMs} ms (expected rows in time order)`);
      previousMs = since;
      this.times[i] = since / 1000;
      this.bytesPerMs[i] = bytes / interval;
    });
    // An outage (0 bytes) is real; a log of nothing but outages would make every upload take for ever.
    if (this.bytesPerMs.every((b) => b === 0)) throw new InputError(`${path}: every row has 0 bytes (column 5): no upload could ever finish`);
    const last = rows.length - 1;
    this.span = this.times[last] - this.times[0] + (this.times[last] - this.times[last - 1]);
  }

  /** Bandwidth in bytes per ms at `t` seconds into the replay. */
  at(t: number): number {
    const x = this.times[0] + (((t % this.span) + this.span) % this.span);
    let lo = 0;
    let hi = this.times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.times[mid] <= x) lo = mid;
      else hi = mid - 1;
    }
    return this.bytesPerMs[lo];
  }

  /** Seconds to send `sizeKB` at `t` (KB of 1024 bytes, as Sponge computes it). */
  uploadSeconds(sizeKB: number, t: number): number {
    const bandwidth = this.at(t);
    return bandwidth > 0 ? (sizeKB * 1024) / bandwidth / 1000 : Infinity;
  }
}
