import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servesim, tempDir, writeSpec } from '../helpers/cli.js';

const mm4 = 'experiments/examples/mm4.json';

const small = {
  name: 'small',
  seed: 3,
  duration: 50,
  workload: { arrivals: { process: 'poisson', rate: 30 }, slo: 0.1 },
  deployments: [{ name: 'svc', replicas: 2, serviceTime: { dist: 'lognormal', mean: 0.05, cv: 1 }, queueLimit: 5, accuracy: 0.76 }],
};

/** A summary without what differs from run to run: the wall-clock timing and the provenance, which holds the command line. */
function withoutWallTime(summaryJson: string): unknown {
  const { wallSeconds, timing, provenance, ...rest } = JSON.parse(summaryJson);
  expect(typeof wallSeconds).toBe('number');
  expect(timing.wallSeconds).toBe(wallSeconds);
  expect(provenance.servesim).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  expect(provenance.commit === null || /^[0-9a-f]{40}(-dirty)?$/.test(provenance.commit)).toBe(true);
  expect(provenance.command[0]).toBe('run');
  expect(provenance.specSha256).toMatch(/^[0-9a-f]{64}$/);
  return rest;
}

describe('servesim run', () => {
  it('runs the mm4 contract spec and writes summary.json and timeseries.csv', () => {
    const out = tempDir();
    const r = servesim('run', mm4, '--out', out);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('mm4 (seed 7)');
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    for (const key of ['name', 'seed', 'requests', 'completed', 'dropped', 'sloViolationRate', 'meanCores', 'coreSeconds', 'accuracy', 'events', 'wallSeconds']) {
      expect(s).toHaveProperty(key);
    }
    for (const key of ['mean', 'p50', 'p90', 'p95', 'p99', 'max']) expect(typeof s.latencyMs[key]).toBe('number');
    for (const key of ['mean', 'p50', 'p99']) expect(typeof s.waitMs[key]).toBe('number');
    expect(s.sloViolationRate).toBeNull();
    expect(s.accuracy).toBeNull();
    expect(s.meanCores).toBe(4);
    expect(s.coreSeconds).toBe(4000);
    expect(s.requests).toBe(s.completed + s.dropped + s.inFlight);
    const rows = readFileSync(join(out, 'timeseries.csv'), 'utf8').trim().split('\n');
    expect(rows[0].startsWith('t,deployment,replicas,ready_replicas,cores,arrival_rps,completed,p99_ms,slo_violations,accuracy')).toBe(true);
    expect(rows.length).toBe(1 + 200);
    expect(rows[1].split(',').slice(0, 5)).toEqual(['0', 'svc', '4', '4', '4']);
  });

  it('gives byte-identical results for the same spec and seed (apart from the wall-clock timing)', () => {
    const spec = writeSpec(small);
    const [a, b] = [tempDir(), tempDir()];
    expect(servesim('run', spec, '--out', a, '--requests', '-q').status).toBe(0);
    expect(servesim('run', spec, '--out', b, '--requests', '-q').status).toBe(0);
    for (const file of ['timeseries.csv', 'requests.csv']) {
      expect(readFileSync(join(a, file), 'utf8')).toBe(readFileSync(join(b, file), 'utf8'));
    }
    expect(withoutWallTime(readFileSync(join(a, 'summary.json'), 'utf8'))).toEqual(withoutWallTime(readFileSync(join(b, 'summary.json'), 'utf8')));
  });

  it('changes the results with --seed, and applies --set overrides', () => {
    const spec = writeSpec(small);
    const [a, b] = [tempDir(), tempDir()];
    servesim('run', spec, '--out', a, '-q');
    servesim('run', spec, '--out', b, '-q', '--seed', '4', '--set', 'deployments.0.replicas=3', '--set', 'name=other');
    const sa = JSON.parse(readFileSync(join(a, 'summary.json'), 'utf8'));
    const sb = JSON.parse(readFileSync(join(b, 'summary.json'), 'utf8'));
    expect(sb.seed).toBe(4);
    expect(sb.name).toBe('other');
    expect(sb.meanCores).toBe(3);
    expect(sb.requests).not.toBe(sa.requests);
  });

  it('accounts for every request in requests.csv: completed, dropped or in flight', () => {
    const out = tempDir();
    servesim('run', writeSpec({ ...small, workload: { ...small.workload, arrivals: { process: 'poisson', rate: 60 } } }), '--out', out, '--requests', '-q');
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const rows = readFileSync(join(out, 'requests.csv'), 'utf8').trim().split('\n').slice(1);
    const status = (name: string) => rows.filter((row) => row.split(',')[2] === name).length;
    expect(s.dropped).toBeGreaterThan(0);
    expect(rows.length).toBe(s.requests);
    expect(status('completed')).toBe(s.completed);
    expect(status('dropped')).toBe(s.dropped);
    expect(status('in_flight')).toBe(s.inFlight);
    expect(new Set(rows.map((row) => row.split(',')[0])).size).toBe(s.requests);
    expect(s.sloViolationRate).toBeGreaterThan(0);
    expect(s.accuracy).toBe(0.76);
  });

  it('replays a trace given by a path relative to the installation, from any folder', () => {
    const out = tempDir();
    const spec = writeSpec({
      name: 'twitter-slice',
      workload: {
        trace: { file: 'traces/twitter_2021_08/twitter_per_second.csv', start: 1300920, duration: 60, scale: 1 },
        arrivals: { process: 'poisson-within-second' },
      },
      deployments: [{ name: 'svc', replicas: 2, serviceTime: { dist: 'exponential', mean: 0.005 } }],
    });
    const r = servesim('run', spec, '--out', out, '-q');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.duration).toBe(60);
    expect(s.requests).toBe(2588); // the sum of the trace's 60 counts
  });

  it('drains the queue after the last arrival when asked', () => {
    const out = tempDir();
    servesim('run', writeSpec({ ...small, drain: true }), '--out', out, '-q');
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.inFlight).toBe(0);
    expect(s.duration).toBeGreaterThanOrEqual(50);
  });
});

describe('bad input: exit 2, one line naming what is wrong, no summary.json', () => {
  const bad = (spec: unknown, ...flags: string[]) => {
    const out = tempDir();
    const file = writeSpec(spec);
    const r = servesim('run', file, '--out', out, ...flags);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
    expect(existsSync(join(out, 'summary.json'))).toBe(false);
    return r.stderr.trim().replace(file, 'SPEC');
  };

  it.each([
    ['a negative mean', { ...small, deployments: [{ ...small.deployments[0], serviceTime: { dist: 'exponential', mean: -1 } }] }, 'SPEC: deployments[0].serviceTime.mean: expected > 0, got -1'],
    ['a zero cv', { ...small, deployments: [{ ...small.deployments[0], serviceTime: { dist: 'gamma', mean: 1, cv: 0 } }] }, 'SPEC: deployments[0].serviceTime.cv: expected > 0, got 0'],
    ['an unknown distribution', { ...small, deployments: [{ ...small.deployments[0], serviceTime: { dist: 'weibull', mean: 1 } }] }, 'SPEC: deployments[0].serviceTime.dist: expected one of "deterministic", "exponential", "lognormal", "gamma", "empirical", got "weibull"'],
    ['a misspelt field', { ...small, deployments: [{ ...small.deployments[0], replica: 2 }] }, 'SPEC: deployments[0]: unknown field "replica"'],
    ['a missing duration', { ...small, duration: undefined }, 'SPEC: duration: expected a duration in seconds (required without a trace)'],
    ['a string rate', { ...small, workload: { arrivals: { process: 'poisson', rate: 'fast' } } }, 'SPEC: workload.arrivals.rate: expected number, got "fast"'],
    ['a bad schedule', { ...small, workload: { arrivals: { process: 'poisson', rate: [[0, 5], [0, 6]] } } }, 'SPEC: workload.arrivals.rate: schedule times must increase'],
    ['an unknown target', { ...small, workload: { ...small.workload, target: 'nope' } }, 'SPEC: workload.target: expected one of "svc", got "nope"'],
    ['an unknown policy', { ...small, policy: { name: 'magic' } }, 'SPEC: policy.name: expected one of "static", "hpa", "vpa", "kpa", "keda", "infadapter", "ms+", "ipa", "sponge", "module", got "magic"'],
  ])('%s', (_name, spec, message) => {
    expect(bad(spec)).toBe(`servesim: ${message}`);
  });

  it('a profile without the variant asked for', () => {
    const spec = { ...small, deployments: [{ name: 'svc', replicas: 1, profile: { name: 'infadapter', variant: 'vgg16' } }] };
    expect(bad(spec)).toMatch(/^servesim: SPEC: deployments\[0\]\.profile: profile "infadapter" has no variant "vgg16" on device "cpu"/);
  });

  it('invalid JSON', () => {
    expect(bad('{ "name": ')).toMatch(/^servesim: SPEC: invalid JSON: /);
  });

  it('a missing spec file', () => {
    const r = servesim('run', '/nonexistent/spec.json');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('servesim: /nonexistent/spec.json: cannot read spec (ENOENT)');
  });

  it('a missing trace file', () => {
    const message = bad({ ...small, workload: { trace: { file: 'traces/none.csv' } } });
    expect(message).toBe('servesim: SPEC: workload.trace.file: no such file "traces/none.csv"');
  });

  it('a malformed trace line, found mid-run, leaves no partial results', () => {
    const dir = tempDir();
    const trace = join(dir, 'trace.csv');
    const lines = ['requests', ...Array.from({ length: 500 }, () => '20'), '-3', '20'];
    require('node:fs').writeFileSync(trace, `${lines.join('\n')}\n`);
    const out = tempDir();
    const file = writeSpec({ ...small, duration: undefined, workload: { trace: { file: trace } } }, dir);
    const r = servesim('run', file, '--out', out, '--requests');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`servesim: ${trace}:502: column "requests" expected a non-negative integer count, got "-3"`);
    expect(require('node:fs').readdirSync(out)).toEqual([]);
  });

  it.each([
    [['--seed', 'abc'], 'servesim: --seed: expected a non-negative integer, got "abc"'],
    [['--set', 'novalue'], 'servesim: --set novalue: expected path=value'],
    [['--bogus'], "error: unknown option '--bogus'"],
  ])('flag %j', (flags, message) => {
    const r = servesim('run', mm4, '--out', tempDir(), ...flags);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(message);
  });

  it('a missing argument and an unknown command', () => {
    for (const args of [['run'], ['frobnicate']]) {
      const r = servesim(...args);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('help', () => {
  it('explains the run command, its flags and exit codes', () => {
    const r = servesim('run', '--help');
    expect(r.status).toBe(0);
    for (const text of ['--seed', '--out', '--set', '--requests', 'Exit status']) expect(r.stdout).toContain(text);
  });
});
