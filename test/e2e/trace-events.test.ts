import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servesim, tempDir, writeSpec } from '../helpers/cli.js';

/**
 * `servesim run SPEC --trace-events FILE`: the file is a Chrome Trace Event JSON object, the same
 * bytes for the same spec and seed, and the run's results are those of the run without it; bad
 * trace flags are bad input named in one line.
 */

const hpa = {
  name: 'traced-hpa',
  seed: 2,
  duration: 90,
  window: 10,
  workload: { arrivals: { process: 'poisson', rate: [[0, 20], [30, 120]] }, slo: 0.5 },
  deployments: [
    {
      name: 'svc',
      replicas: 2,
      cores: 1,
      serviceTime: { dist: 'lognormal', mean: 0.02, cv: 1 },
      lifecycle: { containerStartSeconds: 2, modelLoadSeconds: 3 },
    },
  ],
  policy: { name: 'hpa', deployment: 'svc', metric: 'cpu', targetUtilization: 0.3, minReplicas: 1, maxReplicas: 8 },
};

/** No duration: the run ends where the replayed trace does (a handler stops the simulation), then drains. */
const replay = {
  name: 'traced-replay',
  workload: {
    trace: { file: 'traces/twitter_2021_08/twitter_per_second.csv', start: 1300920, duration: 30, scale: 1 },
    arrivals: { process: 'poisson-within-second' },
  },
  drain: true,
  deployments: [{ name: 'svc', replicas: 2, serviceTime: { dist: 'exponential', mean: 0.005 } }],
};

const read = (path: string) => readFileSync(path, 'utf8');
/** summary.json without what differs from run to run: the wall-clock time and how the run was started. */
const results = (dir: string) => {
  const { wallSeconds: _w, timing: _t, provenance: _p, ...rest } = JSON.parse(read(join(dir, 'summary.json')));
  return rest;
};

describe('servesim run --trace-events', () => {
  it('writes a trace, the same bytes twice, and leaves the results as they are without it', () => {
    const spec = writeSpec(hpa);
    const dir = tempDir();
    const [plain, a, b] = ['plain', 'a', 'b'].map((name) => join(dir, name));
    for (const [out, trace] of [[plain], [a, join(dir, 'a.json')], [b, join(dir, 'traces', 'b.json')]]) {
      const r = servesim('run', spec, '--out', out, '-q', ...(trace === undefined ? [] : ['--trace-events', trace]));
      expect(r.status, r.stderr).toBe(0);
    }
    const text = read(join(dir, 'a.json'));
    expect(read(join(dir, 'traces', 'b.json'))).toBe(text);
    const trace = JSON.parse(text);
    expect(Array.isArray(trace.traceEvents)).toBe(true);
    const phases = new Set(trace.traceEvents.map((e: { ph: string }) => e.ph));
    for (const ph of ['M', 'X', 'C', 'i']) expect(phases).toContain(ph);
    expect(trace.traceEvents.some((e: { name: string }) => /^hpa: scale svc to \d+$/.test(e.name))).toBe(true);
    expect(results(a)).toEqual(results(plain));
    expect(results(b)).toEqual(results(plain));
    expect(read(join(a, 'timeseries.csv'))).toBe(read(join(plain, 'timeseries.csv')));
  });

  it('bounds the trace to --trace-from and --trace-to, in a run that ends with its workload and drains', () => {
    const spec = writeSpec(replay);
    const dir = tempDir();
    const file = join(dir, 'trace.json');
    expect(servesim('run', spec, '--out', join(dir, 'plain'), '-q').status).toBe(0);
    const r = servesim('run', spec, '--out', join(dir, 'traced'), '-q', '--trace-events', file, '--trace-from', '10', '--trace-to', '20');
    expect(r.status, r.stderr).toBe(0);
    expect(results(join(dir, 'traced'))).toEqual(results(join(dir, 'plain')));
    const trace = JSON.parse(read(file));
    const timed = trace.traceEvents.filter((e: { ph: string }) => e.ph !== 'M');
    expect(timed.length).toBeGreaterThan(100);
    for (const e of timed) {
      expect(e.ts).toBeGreaterThanOrEqual(10e6);
      expect(e.ts + (e.dur ?? 0)).toBeLessThanOrEqual(20e6);
    }
  });

  it('stops at --trace-max-events, saying where in the metadata', () => {
    const dir = tempDir();
    const file = join(dir, 'trace.json');
    const r = servesim('run', writeSpec(hpa), '--out', join(dir, 'run'), '-q', '--trace-events', file, '--trace-max-events', '100');
    expect(r.status, r.stderr).toBe(0);
    const trace = JSON.parse(read(file));
    expect(trace.metadata.truncated).toBe(true);
    expect(trace.traceEvents.filter((e: { name: string }) => e.name === 'trace truncated')).toHaveLength(1);
  });

  it.each([
    [['--trace-from', '-1'], '--trace-from'],
    [['--trace-from', 'soon'], '--trace-from'],
    [['--trace-from', '10', '--trace-to', '5'], '--trace-to'],
    [['--trace-to', '0'], '--trace-to'],
    [['--trace-max-events', '0'], '--trace-max-events'],
  ])('bad input %j: exit 2, one line naming %s, nothing written', (flags, flag) => {
    const dir = tempDir();
    const file = join(dir, 'trace.json');
    const r = servesim('run', writeSpec(hpa), '--out', join(dir, 'run'), '-q', '--trace-events', file, ...flags);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(flag);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(join(dir, 'run', 'summary.json'))).toBe(false);
  });

  it('refuses a bound without --trace-events, and a trace file that is a folder', () => {
    const spec = writeSpec(hpa);
    const stray = servesim('run', spec, '--out', tempDir(), '-q', '--trace-to', '30');
    expect(stray.status).toBe(2);
    expect(stray.stderr.trim()).toBe('servesim: --trace-to: only with --trace-events');
    const folder = servesim('run', spec, '--out', tempDir(), '-q', '--trace-events', tempDir());
    expect(folder.status).toBe(2);
    expect(folder.stderr.trim()).toMatch(/^servesim: --trace-events \S+: is a folder, expected a file$/);
  });
});
