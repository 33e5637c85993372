import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../src/engine/random.js';
import { InputError } from '../../src/errors.js';
import type { TraceSpec } from '../../src/workload/schema.js';
import { openTrace, readTraceCounts } from '../../src/workload/trace.js';

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
  const write = async (text: string) => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const path = join(mkdtempSync(join(tmpdir(), 'servesim-trace-')), 'trace.csv');
    writeFileSync(path, text);
    return path;
  };

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
