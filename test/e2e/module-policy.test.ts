import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servesim, tempDir } from '../helpers/cli.js';

/** Policies from a user's module, several policies in one spec, and the simulator's weights and batch actions. */
const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
const rowsOf = (dir: string, file: string) => {
  const [header, ...lines] = readFileSync(join(dir, file), 'utf8').trim().split('\n');
  const names = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], v])));
};

/** Writes a spec and, optionally, a module next to it; returns the spec's path. */
function specWith(spec: object, module?: { name: string; source: string }): string {
  const dir = tempDir();
  if (module !== undefined) writeFileSync(join(dir, module.name), module.source);
  const path = join(dir, 'spec.json');
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

const base = {
  name: 'two-stage',
  seed: 3,
  duration: 600,
  window: 10,
  workload: { arrivals: { process: 'poisson', rate: [[0, 10], [200, 60]] } },
  deployments: [
    { name: 'a', replicas: 1, cores: 1, serviceTime: { dist: 'exponential', mean: 0.05 }, lifecycle: { containerStartSeconds: 5 } },
    { name: 'b', replicas: 1, cores: 1, serviceTime: { dist: 'exponential', mean: 0.04 }, lifecycle: { containerStartSeconds: 5 } },
  ],
  pipelines: [{ name: 'p', stages: [{ name: 'first', deployments: ['a'] }, { name: 'second', deployments: ['b'] }] }],
};
const hpa = (deployment: string) => ({ name: 'hpa', deployment, metric: 'cpu', targetUtilization: 0.5, minReplicas: 1, maxReplicas: 10 });

describe('a policy from a module', () => {
  it('runs the example in examples/policies/ (a queue-length scaler) from its spec', () => {
    const out = tempDir();
    const r = servesim('run', 'examples/policies/queue-scaler.json', '--out', out, '-q');
    expect(r.status, r.stderr).toBe(0);
    const s = summaryOf(out);
    expect(s.policy).toBe('queue-scaler');
    expect(s.reconfigurations).toBeGreaterThan(0);
    const rows = rowsOf(out, 'timeseries.csv');
    expect(Math.max(...rows.filter((row) => Number(row.t) < 300).map((row) => Number(row.replicas)))).toBe(2);
    expect(Math.max(...rows.filter((row) => Number(row.t) > 300).map((row) => Number(row.replicas)))).toBeGreaterThan(6);
  });

  const failing = (source: string) => {
    const spec = specWith({ ...base, policy: { name: 'module', module: './mine.mjs' } }, { name: 'mine.mjs', source });
    const r = servesim('run', spec, '--out', tempDir(), '-q');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    return r.stderr.trim();
  };

  it('that does not load, or returns no policy, fails with exit 2 and one line naming the module', () => {
    expect(failing('export default function (')).toMatch(/^servesim: \S+spec\.json: policy module "\.\/mine\.mjs": cannot load it/);
    expect(failing('export const notDefault = 1;')).toMatch(/^servesim: \S+spec\.json: policy module "\.\/mine\.mjs": expected a default export that is a function/);
    expect(failing('export default () => ({ name: "x", intervalSeconds: 0, firstDecisionSeconds: 0, decide: () => [] });')).toMatch(/intervalSeconds, a positive number/);
  });

  it('whose decision holds a malformed action fails with exit 2 and one line naming the module', () => {
    const message = failing('export default () => ({ name: "x", intervalSeconds: 5, firstDecisionSeconds: 5, decide: () => [{ kind: "scale", deployment: "a", replicas: -1 }] });');
    expect(message).toMatch(/^servesim: \S+spec\.json: policy module "\.\/mine\.mjs": action 0 of the decision at 5 s is malformed: replicas/);
  });

  it('named with a file that is not there fails before the run', () => {
    const spec = specWith({ ...base, policy: { name: 'module', module: './missing.mjs' } });
    const r = servesim('run', spec, '--out', tempDir(), '-q');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`servesim: ${spec}: policy.module: no such file "./missing.mjs" (a module's path is relative to the spec)`);
  });
});

describe('several policies in one spec', () => {
  it('one HPA per deployment: each scales its own', () => {
    const out = tempDir();
    const r = servesim('run', specWith({ ...base, policy: [hpa('a'), hpa('b')] }), '--out', out, '-q');
    expect(r.status, r.stderr).toBe(0);
    expect(summaryOf(out).policy).toBe('hpa+hpa');
    const last = (d: string) => rowsOf(out, 'timeseries.csv').filter((row) => row.deployment === d).at(-1);
    // 60 requests/s: a is 3 busy cores, b 2.4, at a 50% target: about 6 and 5 replicas.
    expect(Number(last('a')?.replicas)).toBeGreaterThanOrEqual(5);
    expect(Number(last('b')?.replicas)).toBeGreaterThanOrEqual(4);
  });

  it('two policies on one deployment are rejected when the spec loads', () => {
    const r = servesim('run', specWith({ ...base, policy: [hpa('a'), hpa('a')] }), '--out', tempDir(), '-q');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/policy\[1\]\.deployment: deployment "a" is already controlled by policy 0$/);
  });

  it('a module policy acting outside the deployments it names fails, naming the policy', () => {
    const source = 'export default () => ({ name: "stray", intervalSeconds: 5, firstDecisionSeconds: 5, decide: () => [{ kind: "scale", deployment: "b", replicas: 2 }] });';
    const spec = specWith({ ...base, policy: [{ name: 'module', module: './mine.mjs', deployments: ['a'] }, hpa('b')] }, { name: 'mine.mjs', source });
    const r = servesim('run', spec, '--out', tempDir(), '-q');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`servesim: ${spec}: policy stray: an action on "b", which is not one of its deployments (a)`);
  });
});

describe("the simulator's weights and batch actions", () => {
  it('move the traffic between a stage\'s variants and batch what a deployment serves', () => {
    // At 30 s the policy sends every request to b and has b serve batches of up to 8 (waiting 50 ms).
    const source = `export default () => ({
      name: 'switch', intervalSeconds: 1000, firstDecisionSeconds: 30,
      decide: () => [{ kind: 'weights', stage: 's', weights: [0, 1] }, { kind: 'batch', deployment: 'b', maxBatch: 8, maxWaitSeconds: 0.05 }],
    });`;
    const spec = specWith(
      {
        name: 'switch',
        seed: 1,
        duration: 60,
        workload: { arrivals: { process: 'poisson', rate: 40 } },
        deployments: [
          { name: 'a', replicas: 1, serviceTime: { dist: 'deterministic', value: 0.01 } },
          { name: 'b', replicas: 1, serviceTime: { dist: 'deterministic', value: 0.01 } },
        ],
        pipelines: [{ name: 'p', stages: [{ name: 's', deployments: ['a', 'b'], weights: [1, 0] }] }],
        policy: { name: 'module', module: './switch.mjs', deployments: ['a', 'b'] },
      },
      { name: 'switch.mjs', source },
    );
    const out = tempDir();
    const r = servesim('run', spec, '--out', out, '--requests', '-q');
    expect(r.status, r.stderr).toBe(0);
    expect(summaryOf(out).reconfigurations).toBe(2);
    // Per 5 s window: before the switch a serves everything, after it b does.
    const served = (d: string, from: number, to: number) =>
      rowsOf(out, 'timeseries.csv')
        .filter((row) => row.deployment === d && Number(row.t) >= from && Number(row.t) < to)
        .reduce((sum, row) => sum + Number(row.completed), 0);
    expect(served('a', 0, 30)).toBeGreaterThan(1000);
    expect(served('b', 0, 30)).toBe(0);
    expect(served('a', 35, 60)).toBe(0);
    expect(served('b', 35, 60)).toBeGreaterThan(900);
    const requests = rowsOf(out, 'requests.csv').filter((q) => q.status === 'completed');
    const before = requests.filter((q) => Number(q.arrival_s) < 29.9);
    const after = requests.filter((q) => Number(q.arrival_s) > 30.1);
    // Batched: requests start together, several to a start time, none waiting past 50 ms for a batch to fill.
    const starts = new Map<string, number>();
    for (const q of after) starts.set(q.start_s, (starts.get(q.start_s) ?? 0) + 1);
    expect(Math.max(...starts.values())).toBeGreaterThan(1);
    expect(Math.max(...after.map((q) => Number(q.wait_ms)))).toBeLessThanOrEqual(50 + 1e-6);
    expect(Math.max(...before.map((q) => Number(q.wait_ms)))).toBeLessThan(50);
  });
});
