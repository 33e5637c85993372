import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../src/engine/random.js';
import { InputError } from '../../src/errors.js';
import type { TraceSpec } from '../../src/workload/schema.js';
import { openTrace, readTraceCounts } from '../../src/workload/trace.js';
import { tempDir } from '../helpers/temp.js';

/** A trace file holding `text`; async, as the tests await it. */
async function write(text: string): Promise<string> {
  const path = join(tempDir('servesim-trace-'), 'trace.csv');
  writeFileSync(path, text);
  return path;
}

const streams = new RandomStreams(1);
const twitter = 'traces/twitter_2021_08/twitter_per_second.csv';

function counts(spec: TraceSpec): number[] {
  return [...readTraceCounts(spec, spec.file, streams.uniform('rounding'))];
}

function arrivals(spec: TraceSpec) {
  const process = openTrace(spec, spec.file, streams.uniform('arrivals'), streams.uniform('rounding'));
  let n = 0;
  let first = NaN;
  let last = NaN;
  for (let t = process.next(); t !== Infinity; t = process.next()) {
    if (n++ === 0) first = t;
    last = t;
  }
  return { n, first, last, end: process.end };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe('shipped traces parse completely (figures from traces/README.md)', () => {
  it('Twitter 2021-08: 1,899,061 seconds, 120,774,326 events', () => {
    const all = counts({ file: twitter });
    expect(all.length).toBe(1_899_061);
    expect(sum(all)).toBe(120_774_326);
  });

  it('Twitter: masking cuts the 21 daily missing-data runs of zeros and nothing else', () => {
    const masked = counts({ file: twitter, maskGaps: 600 });
    expect(sum(masked)).toBe(120_774_326);
    const removed = 1_899_061 - masked.length;
    expect(removed).toBeGreaterThanOrEqual(21 * 1739);
    expect(removed).toBeLessThanOrEqual(21 * 1740);
  });

  it("Twitter: InfAdapter's window 1,300,920–1,302,180 has mean 96.6/s, min 27, max 274", () => {
    const window = counts({ file: twitter, start: 1_300_920, duration: 1260 });
    expect(window.length).toBe(1260);
    expect(sum(window) / 1260).toBeCloseTo(96.6, 1);
    expect(Math.min(...window)).toBe(27);
    expect(Math.max(...window)).toBe(274);
  });

  it("Twitter: IPA's damping integer-divides each count by 8", () => {
    const raw = counts({ file: twitter, start: 1_301_160, duration: 1200 });
    const damped = counts({ file: twitter, start: 1_301_160, duration: 1200, damping: 8 });
    expect(sum(raw) / 1200).toBeCloseTo(99.8, 1);
    expect(damped).toEqual(raw.map((c) => Math.floor(c / 8)));
  });

  it('a fractional scale keeps the mean rate (stochastic rounding)', () => {
    const raw = counts({ file: twitter, start: 1_300_920, duration: 1260 });
    const scaled = counts({ file: twitter, start: 1_300_920, duration: 1260, scale: 0.25 });
    expect(sum(scaled) / (sum(raw) * 0.25)).toBeCloseTo(1, 2);
  });

  it('Twitter window as arrivals: every event becomes one arrival inside the window', () => {
    const a = arrivals({ file: twitter, start: 1_300_920, duration: 1260 });
    expect(a.n).toBe(sum(counts({ file: twitter, start: 1_300_920, duration: 1260 })));
    expect(a.first).toBeGreaterThanOrEqual(0);
    expect(a.last).toBeLessThan(1260);
    expect(a.end).toBe(1260);
  });

  it('NASA HTTP 1995, first 14 days: 1,209,600 seconds, 1,106,031 requests', () => {
    const all = counts({ file: 'traces/nasa_http_1995/nasa_per_second_first14d.csv' });
    expect(all.length).toBe(1_209_600);
    expect(sum(all)).toBe(1_106_031);
  });

  it('Azure LLM 2023 code: 8,819 requests over 3,436 s', () => {
    const a = arrivals({ file: 'traces/azure_llm_2023/AzureLLMInferenceTrace_code.csv' });
    expect(a.n).toBe(8819);
    expect(a.first).toBe(0);
    expect(a.last).toBeCloseTo(3435.95, 1);
  });

  it('Azure LLM 2023 conv: 19,366 requests over 3,502 s', () => {
    const a = arrivals({ file: 'traces/azure_llm_2023/AzureLLMInferenceTrace_conv.csv' });
    expect(a.n).toBe(19_366);
    expect(a.last).toBeCloseTo(3501.72, 1);
  });

  it('Mooncake conversation: 12,031 requests over 3,537 s', () => {
    const a = arrivals({ file: 'traces/mooncake_conversation/conversation_trace.csv' });
    expect(a.n).toBe(12_031);
    expect(a.last).toBeCloseTo(3536.999, 3);
  });

  it('Alibaba GenAI LoRA requests: 26,823 requests over 23.0 days', () => {
    const a = arrivals({ file: 'traces/alibaba_genai_sd_2024/lora_request_trace.csv' });
    expect(a.n).toBe(26_823);
    expect(a.last / 86_400).toBeCloseTo(23.03, 1);
  });

  it('Alibaba GenAI API QPS: the rate samples drive Poisson arrivals of the same mean', () => {
    const a = arrivals({ file: 'traces/alibaba_genai_sd_2024/qps_api_requests.csv', scale: 10 });
    // Each sample holds until the next: the time-weighted mean of the values is 1.019 (the plain
    // mean, 1.25, over-weights the busy hours, sampled more densely), times 10.
    expect(Math.abs(a.n / a.end / 10.19 - 1)).toBeLessThan(0.02);
    expect(a.end / 3600).toBeCloseTo(22.3, 0);
  });

  it('slices and scales a timestamp trace in time', () => {
    const file = 'traces/azure_llm_2023/AzureLLMInferenceTrace_conv.csv';
    const whole = arrivals({ file, start: 600, duration: 600 });
    const doubled = arrivals({ file, start: 600, duration: 600, scale: 2 });
    expect(doubled.n).toBe(whole.n);
    expect(doubled.end).toBe(300);
    expect(doubled.last).toBeCloseTo(whole.last / 2, 6);
  });
});

describe('malformed traces', () => {

  it('names the file, line and column of a bad count', async () => {
    const file = await write('requests\n3\n4\nlots\n5\n');
    expect(() => counts({ file })).toThrow(InputError);
    expect(() => counts({ file })).toThrow(`${file}:4: column "requests" expected a non-negative integer count, got "lots"`);
  });

  it('rejects timestamps that go back in time', async () => {
    const file = await write('timestamp_ms,input_length\n0,1\n500,2\n400,3\n');
    expect(() => arrivals({ file })).toThrow(`${file}:4: column "timestamp_ms" expected times in non-decreasing order, got "400"`);
  });

  it('rejects an unreadable date-time', async () => {
    const file = await write('TIMESTAMP,ContextTokens\n2023-11-16 18:17:03.98,1\nyesterday,2\n');
    expect(() => arrivals({ file })).toThrow(`${file}:3: column "TIMESTAMP" expected a date-time`);
  });

  it('rejects an empty file and a missing file', async () => {
    const empty = await write('');
    expect(() => counts({ file: empty })).toThrow(`${empty}: empty trace`);
    expect(() => counts({ file: '/nonexistent/trace.csv' })).toThrow('/nonexistent/trace.csv: cannot read (ENOENT)');
  });
});

describe('traces are read strictly', () => {
  const limit = { seconds: 100, why: 'at most 20 windows of 5 s' };
  const replay = (spec: TraceSpec, runLimit?: typeof limit) => {
    const process = openTrace(spec, spec.file, streams.uniform('arrivals'), streams.uniform('rounding'), runLimit);
    let n = 0;
    while (process.next() !== Infinity) n++;
    return n;
  };

  it.each([
    ['2023-13-45 99:17:03', 'a month 13, day 45 and hour 99'],
    ['2023-02-29 12:00:00', 'February 29th in a common year'],
    ['2023-11-16 24:00:00', 'hour 24'],
    ['2023-11-16 23:59:60', 'a leap second'],
  ])('a date-time that is not on the calendar is an error naming the line: %s (%s)', async (text) => {
    const file = await write(`TIMESTAMP,x\n2023-11-16 18:17:03,1\n${text},2\n`);
    expect(() => replay({ file })).toThrow(`${file}:3: column "TIMESTAMP" expected a date-time YYYY-MM-DD HH:MM:SS[.fraction] that exists on the calendar, got "${text}"`);
  });

  it('a real date-time, February 29th of a leap year included, reads as before', async () => {
    const file = await write('TIMESTAMP,x\n2024-02-28 23:59:59.5,1\n2024-02-29 00:00:01,2\n');
    expect(arrivals({ file })).toMatchObject({ n: 2, first: 0, last: 1.5 });
  });

  it.each(['0x10', '0b11', '1_000', 'Infinity', '1e3x'])('a count written %s is not a decimal number: an error naming the line', async (text) => {
    const file = await write(`requests\n3\n${text}\n`);
    expect(() => counts({ file })).toThrow(`${file}:3: column "requests" expected a non-negative integer count, got "${text}"`);
  });

  it('a count beyond 10 million per second is an error naming the line, before or after scale', async () => {
    const huge = await write('requests\n5\n1000000000000\n');
    expect(() => counts({ file: huge })).toThrow(`${huge}:3: column "requests" expected a count of at most 10000000 per second, got "1000000000000"`);
    const scaled = await write('requests\n5\n2000\n');
    expect(() => counts({ file: scaled, scale: 1e5 })).toThrow(`${scaled}:3: column "requests" expected a count that times scale 100000 is at most 10000000 per second (it gives 200000000)`);
  });

  it('a timestamp past the year 9999, or not decimal, is an error naming the line', async () => {
    const far = await write('time,x\n0,1\n1e300,2\n');
    expect(() => replay({ file: far, format: 'timestamps', column: 'time' })).toThrow(`${far}:3: column "time" expected a time in seconds (decimal, at most 253402300799: 9999-12-31 23:59:59 UTC), got "1e300"`);
    const hex = await write('timestamp_ms,x\n0,1\n0x10,2\n');
    expect(() => replay({ file: hex })).toThrow(`${hex}:3: column "timestamp_ms" expected a time in milliseconds`);
  });

  it('a rate sample that is not decimal, or too high, is an error naming the line', async () => {
    const file = await write('timestamp_anon,value\n0,0x10\n');
    expect(() => replay({ file })).toThrow(`${file}:2: column "value" expected a non-negative rate, got "0x10"`);
    const high = await write('timestamp_anon,value\n0,1\n60,2e7\n');
    expect(() => replay({ file: high })).toThrow(`${high}:3: column "value" expected a rate that times scale 1 is at most 10000000 requests/s`);
  });

  it('a header without rows, or a start past the end, is an error naming the trace, not an empty run', async () => {
    const header = await write('requests\n');
    expect(() => counts({ file: header })).toThrow(`${header}: a header and no data rows: expected at least one row after line 1`);
    const short = await write('requests\n5\n5\n');
    expect(() => counts({ file: short, start: 10 })).toThrow(`${short}: workload.trace.start: no rows in the asked window (start 10): row 10 (start) is past the trace's end`);
    const stamps = await write('timestamp_ms,x\n0,1\n1000,2\n');
    expect(() => replay({ file: stamps, start: 5 })).toThrow(`${stamps}: workload.trace.start: no rows in the asked window (start 5): its rows read span 0 to 1 s after the first`);
    const gap = await write('timestamp_ms,x\n0,1\n100000,2\n');
    expect(() => replay({ file: gap, start: 10, duration: 10 })).toThrow(`${gap}: workload.trace.start: no rows in the asked window (start 10, duration 10)`);
    const masked = await write(`requests\n${'0\n'.repeat(20)}`);
    expect(() => counts({ file: masked, maskGaps: 10 })).toThrow('every second from row 0 on is in a gap of zeros masked by maskGaps');
  });

  it('a format, unit or option that contradicts the file is an error naming the field', async () => {
    const stamps = await write('timestamp_ms,x\n0,1\n1000,2\n');
    expect(() => replay({ file: stamps, format: 'counts' })).toThrow(`${stamps}: workload.trace.format: "counts" (a count per second), but column "timestamp_ms" holds one request per row: expected "timestamps"`);
    expect(() => replay({ file: stamps, timeUnit: 's' })).toThrow(`${stamps}: workload.trace.timeUnit: "s", but column "timestamp_ms" holds times in ms`);
    expect(() => replay({ file: stamps, maskGaps: 60 })).toThrow(`${stamps}: workload.trace.maskGaps: applies to "counts" traces, and this one is "timestamps"`);
    expect(() => replay({ file: stamps, valueColumn: 'x' })).toThrow('workload.trace.valueColumn: applies to "rates" traces');
    const perSecond = await write('requests\n5\n6\n');
    expect(() => replay({ file: perSecond, format: 'timestamps' })).toThrow(`${perSecond}: workload.trace.format: "timestamps" (one request per row), but column "requests" holds a count per second: expected "counts"`);
    expect(() => counts({ file: perSecond, timeUnit: 'ms' })).toThrow('workload.trace.timeUnit: applies to "timestamps" and "rates" traces, and this one is "counts"');
    const qps = await write('timestamp_anon,value\n0,1\n60,2\n');
    expect(() => replay({ file: qps, format: 'timestamps' })).toThrow('holds rate samples: expected "rates"');
  });

  it('a one-column file of a known time column is read as timestamps, not as counts', async () => {
    const file = await write('timestamp_ms\n0\n500\n1500\n');
    expect(arrivals({ file })).toMatchObject({ n: 3, first: 0, last: 1.5, end: 2 });
  });

  it('a replay past the run limit is an error naming the line, or the duration before the run', async () => {
    const stamps = await write('time,x\n0,1\n50,2\n250,3\n');
    expect(() => replay({ file: stamps, format: 'timestamps', column: 'time' }, limit)).toThrow(`${stamps}:4: this row lies 250 s into the replay, past the longest run of 100 s (at most 20 windows of 5 s)`);
    expect(replay({ file: stamps, format: 'timestamps', column: 'time', scale: 4 }, limit)).toBe(3);
    const perSecond = await write(`requests\n${'1\n'.repeat(150)}`);
    expect(() => replay({ file: perSecond }, limit)).toThrow(`${perSecond}:102: this row lies 100 s into the replay`);
    expect(replay({ file: perSecond, duration: 100 }, limit)).toBe(100);
    expect(() => replay({ file: perSecond, duration: 101 }, limit)).toThrow(`${perSecond}: workload.trace.duration: a replay of 101 s is longer than the longest run, 100 s`);
  });
});
