import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * servesim as a package: `import … from 'servesim'` resolves through package.json's exports to the
 * built library (dist/index.js, declarations in dist/types/), as it would for a user who installed it.
 */
function runModule(source: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the library', () => {
  it('runs a spec', () => {
    const r = runModule(`
      import { runSpec, validateSpec } from 'servesim';
      const spec = validateSpec({ name: 'lib', seed: 2, duration: 200, workload: { arrivals: { process: 'poisson', rate: 50 } },
        deployments: [{ name: 'svc', replicas: 1, serviceTime: { dist: 'exponential', mean: 0.01 } }] }, 'inline spec');
      const s = await runSpec(spec);
      console.log(JSON.stringify({ requests: s.requests, completed: s.completed, inFlight: s.inFlight, policy: s.policy }));`);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.requests).toBeGreaterThan(9000);
    expect(s.requests).toBe(s.completed + s.inFlight);
    expect(s.policy).toBe('static');
  });

  it('builds a world and drives it with a policy of its own through the control loop', () => {
    const r = runModule(`
      import { buildWorld, ControlLoop, RandomStreams, Request, RunMetrics, SimulatedControlPlane, Simulator, validateSpec } from 'servesim';
      const spec = validateSpec({ name: 'own', duration: 60, workload: { arrivals: { process: 'poisson', rate: 1 } },
        deployments: [{ name: 'svc', replicas: 1, serviceTime: { dist: 'deterministic', value: 0.5 } }] }, 'inline spec');
      const sim = new Simulator();
      const metrics = new RunMetrics(sim, spec.window, () => {}, null);
      const world = buildWorld(spec, sim, new RandomStreams(spec.seed), metrics, (f) => f);
      // A policy: three replicas from the 10th second on.
      const policy = { name: 'three', intervalSeconds: 10, firstDecisionSeconds: 10,
        decide: (o) => o.deployments[0].replicas === 3 ? [] : [{ kind: 'scale', deployment: 'svc', replicas: 3 }] };
      const plane = new SimulatedControlPlane(sim, world.deployments, world.service, () => metrics.arrived, 15, () => { throw new Error('no variants'); });
      const loop = new ControlLoop(plane, plane, [{ policy, targets: ['svc'] }]);
      metrics.start(); plane.start(); loop.start();
      for (let t = 0; t < 30; t++) sim.at(t, { handleEvent: () => world.service.accept(new Request(t, t, Infinity)) });
      sim.runUntil(30);
      console.log(JSON.stringify({ replicas: world.deployments.get('svc').readyReplicaCount(), reconfigurations: loop.reconfigurations, completed: metrics.completed }));`);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ replicas: 3, reconfigurations: 1, completed: 30 });
  });

  it('ships its declarations with the public API', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(pkg.exports['.']).toEqual({ types: './dist/types/index.d.ts', import: './dist/index.js' });
    // Written by `npm install` (prepare) or `node scripts/build.mjs --types`.
    if (!existsSync('dist/types/index.d.ts')) spawnSync(process.execPath, ['scripts/build.mjs', '--types'], { stdio: 'inherit' });
    const types = readFileSync('dist/types/index.d.ts', 'utf8');
    for (const name of ['runSpec', 'validateSpec', 'buildWorld', 'ControlLoop', 'SimulatedControlPlane', 'Policy', 'Observation', 'Action']) expect(types).toContain(name);
  });
});
