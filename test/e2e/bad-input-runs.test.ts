import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servesim, tempDir, writeSpec } from '../helpers/cli.js';

/**
 * Runs that could never end, or would end with a result that looks complete and is not: each is
 * refused with exit 2 and one line naming the file and the field or line, and leaves no
 * summary.json. Every case finishes in well under a second of simulation.
 */

const exponential = { dist: 'exponential', mean: 0.01 } as const;
const svc = (extra: Record<string, unknown> = {}) => ({ name: 'svc', replicas: 1, serviceTime: exponential, ...extra });

/** A small valid spec: Poisson arrivals into one deployment for 10 s. */
function spec(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'bad', duration: 10, workload: { arrivals: { process: 'poisson', rate: 10 } }, deployments: [svc()], ...fields };
}

/** A spec replaying a trace file written into `dir`, and the trace's path. */
function traceSpec(text: string, trace: Record<string, unknown> = {}, fields: Record<string, unknown> = {}) {
  const dir = tempDir();
  const file = join(dir, 'trace.csv');
  writeFileSync(file, text);
  const { duration: _none, ...rest } = spec(fields);
  return { specFile: writeSpec({ ...rest, workload: { trace: { file, ...trace } }, ...fields }, dir), file };
}

/** Runs the spec and checks the refusal: exit 2, one stderr line that contains every part, no summary. */
function refused(specFile: string, parts: string[], ...flags: string[]): string {
  const out = tempDir();
  const r = servesim('run', specFile, '-q', '--out', out, ...flags);
  expect(r.status, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0].startsWith('servesim: ')).toBe(true);
  for (const part of parts) expect(lines[0]).toContain(part);
  expect(existsSync(join(out, 'summary.json'))).toBe(false);
  return lines[0];
}

describe('runs that could never end are refused before they start', () => {
  it('MMPP with every rate 0 (it would switch states for ever)', () => {
    const file = writeSpec(spec({ workload: { arrivals: { process: 'mmpp', rates: [0, 0], meanDurations: [1, 1] } } }));
    refused(file, [`${file}: workload.arrivals.rates: expected at least one positive rate`]);
  });

  it('MMPP sojourns below 1 ms', () => {
    const file = writeSpec(spec({ workload: { arrivals: { process: 'mmpp', rates: [1, 5], meanDurations: [1e-9, 1] } } }));
    refused(file, [`${file}: workload.arrivals.meanDurations[0]: expected ≥ 0.001`]);
  });

  it('Gamma arrivals with a cv so large that every gap underflows to 0', () => {
    const file = writeSpec(spec({ workload: { arrivals: { process: 'gamma', rate: 10, cv: 1e200 } } }));
    refused(file, [`${file}: workload.arrivals.cv: expected ≤ 100`]);
  });

  it('Sponge on a deployment whose service times are no profile (nothing to fit l(b, c) to)', () => {
    const file = writeSpec(spec({ policy: { name: 'sponge', deployment: 'svc' } }));
    refused(file, [`${file}: policy on "svc": deployment "svc" has no profile to fit l(b, c) to`]);
  });

  it('a drain with no pod that could ever serve: 0 replicas and no policy', () => {
    const file = writeSpec(spec({ drain: true, deployments: [svc({ replicas: 0 })] }));
    refused(file, [`${file}: deployments[0].replicas: 0, and no policy adds pods to "svc": with drain`]);
  });

  it('a drain whose only policy never adds pods (VPA resizes, it does not scale out)', () => {
    const file = writeSpec(spec({ drain: true, deployments: [svc({ replicas: 0 })], policy: { name: 'vpa', deployment: 'svc' } }));
    refused(file, [`${file}: deployments[0].replicas: 0, and no policy adds pods to "svc"`]);
  });

  it('a drain through a pipeline stage whose "random" router may pick a variant that has no pods', () => {
    const pipelines = [{ name: 'p', stages: [{ name: 's', deployments: ['a', 'b'], router: 'random' }] }];
    const file = writeSpec(spec({ drain: true, deployments: [svc({ name: 'a' }), svc({ name: 'b', replicas: 0 })], pipelines }));
    refused(file, [`${file}: deployments[1].replicas: 0, and no policy adds pods to "b"`]);
  });

  it('a duration of 10⁹ s in 5 s windows (2·10⁸ windows)', () => {
    const file = writeSpec(spec({ duration: 1e9, workload: { arrivals: { process: 'poisson', rate: 0.001 } } }));
    refused(file, [`${file}: duration: 1000000000 s is 200000000 windows of 5 s, more than the 1000000 a run may have: make "window" at least 1000 s`]);
  });

  it('a duration past the longest simulated time, whatever the window', () => {
    const file = writeSpec(spec({ duration: 1e12, window: 1e7 }));
    refused(file, [`${file}: duration: 1000000000000 s is past the longest simulated time, 9000000000 s`]);
  });

  it('a window of 1 µs', () => {
    const file = writeSpec(spec({ window: 1e-6 }));
    refused(file, [`${file}: window: expected at least 0.001 s`]);
  });

  it.each([
    ['HPA syncSeconds', { name: 'hpa', deployment: 'svc', maxReplicas: 4, syncSeconds: 1e-7 }, 'policy.syncSeconds: expected ≥ 0.01, got 1e-7'],
    ['VPA recommenderIntervalSeconds', { name: 'vpa', deployment: 'svc', recommenderIntervalSeconds: 1e-7 }, 'policy.recommenderIntervalSeconds: expected ≥ 0.01'],
    ['VPA updaterIntervalSeconds', { name: 'vpa', deployment: 'svc', updaterIntervalSeconds: 1e-7 }, 'policy.updaterIntervalSeconds: expected ≥ 0.01'],
    ['InfAdapter intervalSeconds', { name: 'infadapter', stage: 'svc', deployments: ['svc'], intervalSeconds: 1e-7 }, 'policy.intervalSeconds: expected ≥ 0.01'],
    ['InfAdapter readinessPollSeconds', { name: 'infadapter', stage: 'svc', deployments: ['svc'], readinessPollSeconds: 1e-7 }, 'policy.readinessPollSeconds: expected ≥ 0.01'],
  ])('a controller period below 10 ms: %s', (_what, policy, message) => {
    const file = writeSpec(spec({ policy }));
    refused(file, [`${file}: ${message}`]);
  });

  it("metrics-server's scrape period below 10 ms", () => {
    const file = writeSpec(spec({ metricsServer: { scrapeSeconds: 1e-7 } }));
    refused(file, [`${file}: metricsServer.scrapeSeconds: expected at least 0.01 s`]);
  });

  it("a policy module's intervalSeconds below 10 ms", () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'fast.mjs'), 'export default () => ({ name: "fast", intervalSeconds: 1e-7, firstDecisionSeconds: 0, decide: () => [] });\n');
    const file = writeSpec(spec({ policy: { name: 'module', module: 'fast.mjs' } }), dir);
    refused(file, ['policy fast: intervalSeconds 1e-7: expected at least 0.01 s']);
  });

  it('Poisson arrivals whose every rate is 0 within the run', () => {
    refused(writeSpec(spec({ workload: { arrivals: { process: 'poisson', rate: 0 } } })), ['workload.arrivals.rate: every rate is 0 so no request would ever arrive']);
    const late = writeSpec(spec({ workload: { arrivals: { process: 'poisson', rate: [[0, 0], [20, 5]] } } }));
    refused(late, ['workload.arrivals.rate: every rate is 0 before the end (10 s)']);
  });

  it('servesim capacity --cores 1e6, and a core count in hex', () => {
    for (const [cores, message] of [
      ['1e6', '--cores: expected at most 1024, got "1e6"'],
      ['0x10', '--cores: expected a positive number, got "0x10"'],
    ]) {
      const r = servesim('capacity', '--profile', 'infadapter', '--variant', 'resnet18', '--cores', cores, '--slo-p99', '0.75');
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toBe(`servesim: ${message}\n`);
    }
  });
});

describe('runs that could never end are stopped as soon as the run shows it', () => {
  it('a trace timestamp of 1e300 s', () => {
    const { specFile, file } = traceSpec('time,x\n0,1\n1e300,2\n', { format: 'timestamps', column: 'time' });
    refused(specFile, [`${file}:3: column "time" expected a time in seconds (decimal, at most 253402300799`]);
  });

  it('a trace longer than the run may be, without a duration: stopped at the row that passes the longest run', () => {
    // Rows are read as the run reaches them, so the far row comes early here to keep the case short.
    const { specFile, file } = traceSpec('time,x\n0,1\n1,2\n5000,3\n', { format: 'timestamps', column: 'time' }, { window: 0.001 });
    refused(specFile, [`${file}:4: this row lies 5000 s into the replay, past the longest run of 1000 s (at most 1000000 windows of 0.001 s: set a longer "window", or a "duration")`]);
  });

  it("a trace slice whose duration is longer than the run may be", () => {
    const { specFile, file } = traceSpec('requests\n1\n2\n', { duration: 5000 }, { window: 0.001 });
    refused(specFile, [`${file}: workload.trace.duration: a replay of 5000 s is longer than the longest run, 1000 s`]);
  });

  it('a drain whose requests wait for a pod that stays Pending: its pool is held by another deployment', () => {
    const file = writeSpec(
      spec({
        drain: true,
        cluster: { nodePools: [{ name: 'pool', nodes: 1, cores: 1 }] },
        deployments: [svc({ name: 'holder' }), svc({ name: 'starved' })],
        workload: { arrivals: { process: 'poisson', rate: 10 }, target: 'starved' },
      }),
    );
    refused(file, ['drain: ', 'requests can never finish ("starved" holds', 'with 0 ready and 1 Pending pods) and no policy acts']);
  });
});

describe('results that would look complete and are not', () => {
  it('a lognormal service time of cv 1e200 draws NaN: an error, not a run that stops early with latency 0', () => {
    const file = writeSpec(spec({ deployments: [svc({ serviceTime: { dist: 'lognormal', mean: 0.01, cv: 1e200 } })] }));
    refused(file, ['deployments[0] ("svc"): a service time of NaN s at t = ', '"cv":1e+200']);
  });

  it('an upload during a bandwidth outage would never arrive: an error, not a request in flight for ever', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'outage.log'), '0 0 0 0 0 1000\n0 1000 0 0 5000 1000\n');
    const file = writeSpec(spec({ network: { upload: { bandwidthLog: join(dir, 'outage.log'), sizeKB: 10 } } }), dir);
    refused(file, ['network: a delay of Infinity s at t = ', 'an upload while the bandwidth log shows 0 bytes would never finish']);
  });

  it('a trace date-time that is not on the calendar (2023-13-45 99:17:03)', () => {
    const { specFile, file } = traceSpec('TIMESTAMP,x\n2023-11-16 18:17:03,1\n2023-13-45 99:17:03,2\n');
    refused(specFile, [`${file}:3: column "TIMESTAMP" expected a date-time YYYY-MM-DD HH:MM:SS[.fraction] that exists on the calendar, got "2023-13-45 99:17:03"`]);
  });

  it("a trace whose start lies past its end", () => {
    const { specFile, file } = traceSpec('requests\n5\n5\n', { start: 10 });
    refused(specFile, [`${file}: workload.trace.start: no rows in the asked window (start 10): row 10 (start) is past the trace's end`]);
  });

  it('a trace slice that falls in a gap between its rows', () => {
    const { specFile, file } = traceSpec('timestamp_ms,x\n0,1\n100000,2\n', { start: 10, duration: 10 });
    refused(specFile, [`${file}: workload.trace.start: no rows in the asked window (start 10, duration 10)`]);
  });

  it('a trace with a header and no rows', () => {
    const { specFile, file } = traceSpec('requests\n');
    refused(specFile, [`${file}: a header and no data rows`]);
  });

  it('a trace count of 10¹² in one second (was "Invalid typed array length", exit 1)', () => {
    const { specFile, file } = traceSpec('requests\n1000000000000\n');
    refused(specFile, [`${file}:2: column "requests" expected a count of at most 10000000 per second, got "1000000000000"`]);
  });

  it('a count that the scale takes past 10 million per second', () => {
    const { specFile, file } = traceSpec('requests\n5\n2000\n', { scale: 1e5 });
    refused(specFile, [`${file}:3: column "requests" expected a count that times scale 100000 is at most 10000000 per second`]);
  });

  it('a count written in hex (0x10 was read as 16)', () => {
    const { specFile, file } = traceSpec('requests\n0x10\n3\n');
    refused(specFile, [`${file}:2: column "requests" expected a non-negative integer count, got "0x10"`]);
  });

  it('a rate sample written in hex', () => {
    const { specFile, file } = traceSpec('timestamp_anon,value\n0,0x10\n60,1\n');
    refused(specFile, [`${file}:2: column "value" expected a non-negative rate, got "0x10"`]);
  });

  it('format "counts" on a file with a timestamp column', () => {
    const { specFile, file } = traceSpec('timestamp_ms,x\n0,1\n1000,2\n', { format: 'counts' });
    refused(specFile, [`${file}: workload.trace.format: "counts" (a count per second), but column "timestamp_ms" holds one request per row: expected "timestamps"`]);
  });

  it('format "timestamps" on a per-second count file', () => {
    const { specFile, file } = traceSpec('requests\n5\n6\n', { format: 'timestamps' });
    refused(specFile, [`${file}: workload.trace.format: "timestamps" (one request per row), but column "requests" holds a count per second: expected "counts"`]);
  });

  it('a timeUnit that contradicts a known column', () => {
    const { specFile, file } = traceSpec('timestamp_ms,x\n0,1\n1000,2\n', { timeUnit: 's' });
    refused(specFile, [`${file}: workload.trace.timeUnit: "s", but column "timestamp_ms" holds times in ms`]);
  });

  it('an option of count traces (maskGaps) on a timestamp trace, which would ignore it', () => {
    const { specFile, file } = traceSpec('timestamp_ms,x\n0,1\n1000,2\n', { maskGaps: 60 });
    refused(specFile, [`${file}: workload.trace.maskGaps: applies to "counts" traces, and this one is "timestamps"`]);
  });
});

describe('overload is a clear result', () => {
  /** An M/M/1 at ρ = 2: 2000 requests/s into a pod that serves 1000/s. */
  const mm1 = (overload: Record<string, unknown>) =>
    writeSpec(spec({ duration: 100, workload: { arrivals: { process: 'poisson', rate: 2000 } }, deployments: [svc({ serviceTime: { dist: 'exponential', mean: 0.001 } })], overload }));

  it('stops a run whose queue reaches the bound, naming the deployment, its arrival rate and its capacity', () => {
    const line = refused(mm1({ maxQueuedPerDeployment: 2000 }), [
      'deployment "svc" is overloaded: 2000 requests waiting at t = ',
      'the bound overload.maxQueuedPerDeployment; arrivals at ',
      'against a capacity of about ',
      '(1 ready pod, 1 lane)',
    ]);
    const [arrivals, capacity] = [/arrivals at ([\d.]+) requests\/s/, /capacity of about ([\d.]+) requests\/s/].map((re) => Number(re.exec(line)?.[1]));
    expect(arrivals / 2000).toBeCloseTo(1, 1);
    expect(capacity / 1000).toBeCloseTo(1, 1);
  });

  it('the bound can be set with --set', () => {
    refused(mm1({}), ['deployment "svc" is overloaded: 500 requests waiting'], '--set', 'overload.maxQueuedPerDeployment=500');
  });

  it('with action "drop", drops and counts what exceeds the bound and completes the run', () => {
    const out = tempDir();
    const r = servesim('run', mm1({ maxQueuedPerDeployment: 2000, action: 'drop' }), '-q', '--out', out, '--set', 'duration=20');
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.inFlight).toBeLessThanOrEqual(2001);
    // Half the arrivals find the queue full once it has filled (after about 2 s of the 20).
    expect(s.dropped / s.requests).toBeGreaterThan(0.4);
    expect(s.dropped / s.requests).toBeLessThan(0.5);
    expect(s.requests).toBe(s.completed + s.dropped + s.inFlight);
  });
});

describe('siblings that now give the right result', () => {
  it('a trace without a duration runs to its end, not on to the next minute', () => {
    const { specFile } = traceSpec('requests\n5\n5\n');
    const out = tempDir();
    const r = servesim('run', specFile, '-q', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.duration).toBe(2);
    expect(s.requests).toBe(10);
  });
});
