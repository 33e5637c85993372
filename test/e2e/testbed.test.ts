import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLatencyModel } from '../../src/profiles/registry.js';
import { formatProfileCsv, readProfileCsv } from '../../src/profiles/table-model.js';
import { buildCnn, TINY_VARIANT } from '../../src/testbed/onnx-model.js';
import { profileModels } from '../../src/testbed/profiler.js';
import { tempDir } from '../helpers/temp.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');

/** A temporary folder holding the tiny test model, with the model server built; returns both paths. */
async function tinyModelIn(prefix: string): Promise<{ dir: string; path: string }> {
  const { execSync } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  if (!existsSync('dist/model-server.js')) execSync('node scripts/build.mjs');
  const dir = tempDir(prefix);
  const path = join(dir, `${TINY_VARIANT.name}.onnx`);
  writeFileSync(path, buildCnn(TINY_VARIANT));
  return { dir, path };
}

/** The model-server processes still running from `dir`. */
async function serversOf(dir: string): Promise<string[]> {
  const { execSync } = await import('node:child_process');
  return execSync('ps -eo args').toString().split('\n').filter((l) => l.includes('model-server.js') && l.includes(dir));
}

describe('testbed models and profiler', () => {
  const dir = tempDir('servesim-models-');
  const path = join(dir, `${TINY_VARIANT.name}.onnx`);
  writeFileSync(path, buildCnn(TINY_VARIANT));

  it('builds the same bytes for the same seed, other bytes for another', () => {
    expect(Buffer.from(buildCnn(TINY_VARIANT)).equals(Buffer.from(buildCnn(TINY_VARIANT)))).toBe(true);
    expect(Buffer.from(buildCnn(TINY_VARIANT, 2)).equals(Buffer.from(buildCnn(TINY_VARIANT)))).toBe(false);
  });

  it('onnxruntime runs the model on a batch: [N, 3, S, S] in, [N, 1000] finite logits out', async () => {
    const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1 });
    const s = TINY_VARIANT.imageSize;
    const input = new ort.Tensor('float32', new Float32Array(2 * 3 * s * s).fill(0.5), [2, 3, s, s]);
    const { logits } = await session.run({ input });
    expect(logits.dims).toEqual([2, 1000]);
    expect(Array.from(logits.data as Float32Array).every(Number.isFinite)).toBe(true);
    await session.release();
  });

  it('writes a profile that servesim reads back as a latency model', async () => {
    // Batches 1 and 8: far enough apart that timing noise cannot make the bigger one look faster, which the reader refuses.
    const points = await profileModels([{ variant: TINY_VARIANT, path }], { batches: [1, 8], cores: [1], runs: 5, warmup: 2 });
    expect(points).toHaveLength(2);
    for (const p of points) {
      expect(p.mean).toBeGreaterThan(0);
      expect(p.p99).toBeGreaterThanOrEqual(p.p50);
    }
    const csv = join(dir, 'profile.csv');
    writeFileSync(csv, formatProfileCsv(points));
    expect(readProfileCsv(csv)).toHaveLength(2);
    const model = loadLatencyModel({ file: csv, variant: TINY_VARIANT.name, device: 'cpu' });
    expect(model.mean(1, 1)).toBeCloseTo(points[0].mean, 6);
  });
});

describe('validation against a real model server on 127.0.0.1', () => {
  it('replays the same Poisson arrivals for real and simulated, and stops its server', async () => {
    const { execSync } = await import('node:child_process');
    const { validateConfig } = await import('../../src/experiment/validate.js');
    // The server runs from the bundle: build it if this checkout has not.
    const { existsSync } = await import('node:fs');
    if (!existsSync('dist/model-server.js')) execSync('node scripts/build.mjs');
    const dir = tempDir('servesim-validate-test-');
    const { rows, latencies } = await validateConfig({ name: 'tiny', variant: TINY_VARIANT, cores: 1, utilisation: 0.3, durationSeconds: 2 }, dir, 1);
    expect(latencies.sim.length).toBe(latencies.real.length);
    expect(rows.map((r) => r.metric)).toEqual(['p50_ms', 'p99_ms', 'throughput_rps']);
    for (const r of rows) {
      expect(r.sim).toBeGreaterThan(0);
      expect(r.real).toBeGreaterThan(0);
      expect(Number.isFinite(r.errorPct)).toBe(true);
    }
    // Same arrival times on both sides: the throughputs agree closely.
    expect(Math.abs(rows[2].errorPct)).toBeLessThan(10);
    const servers = execSync('ps -eo args').toString().split('\n').filter((line) => line.includes('model-server.js') && line.includes(dir));
    expect(servers).toEqual([]);
  }, 60_000);
});

describe('servesim testbed run', () => {
  it('runs a static spec on real servers and writes the same files as servesim run', async () => {
    const { execSync } = await import('node:child_process');
    const { existsSync, readFileSync } = await import('node:fs');
    if (!existsSync('dist/servesim.js')) execSync('node scripts/build.mjs');
    const dir = tempDir('servesim-testbed-');
    const spec = join(dir, 'spec.json');
    writeFileSync(
      spec,
      JSON.stringify({
        name: 'tiny-real',
        duration: 2,
        workload: { arrivals: { process: 'poisson', rate: 50 }, slo: 1 },
        deployments: [{ name: 'tiny', replicas: 2, cores: 1, queue: 'per-replica', profile: { file: 'unused.csv', variant: 'cnn-tiny' } }],
      }),
    );
    execSync(`node bin/servesim.js testbed run ${spec} --out ${dir}/out --models ${dir}/models -q`);
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary.requests).toBeGreaterThan(50);
    expect(summary.requests).toBe(summary.completed + summary.dropped + summary.inFlight);
    expect(summary.latencyMs.p99).toBeGreaterThan(0);
    expect(summary.meanCores).toBeCloseTo(2, 2);
    const rows = readFileSync(join(dir, 'out', 'timeseries.csv'), 'utf8').trim().split('\n');
    expect(rows[0].startsWith('t,deployment,replicas,ready_replicas,cores,arrival_rps,completed,p99_ms,slo_violations,accuracy')).toBe(true);
    expect(execSync('ps -eo args').toString().split('\n').filter((l) => l.includes('model-server.js') && l.includes(dir))).toEqual([]);
  }, 60_000);

  it('HPA scales real servers out when their CPU use is above the target', async () => {
    const { execSync } = await import('node:child_process');
    const { readFileSync } = await import('node:fs');
    const dir = tempDir('servesim-testbed-');
    const spec = join(dir, 'spec.json');
    writeFileSync(
      spec,
      JSON.stringify({
        name: 'hpa-real',
        duration: 8,
        window: 1,
        workload: { arrivals: { process: 'poisson', rate: 600 } },
        metricsServer: { scrapeSeconds: 1 },
        deployments: [{ name: 'xs', replicas: 1, cores: 1, queue: 'per-replica', profile: { file: 'unused.csv', variant: 'cnn-xs' } }],
        policy: { name: 'hpa', deployment: 'xs', targetUtilization: 0.05, maxReplicas: 3, syncSeconds: 1, cpuInitializationSeconds: 0, initialReadinessDelaySeconds: 0 },
      }),
    );
    execSync(`node bin/servesim.js testbed run ${spec} --out ${dir}/out --models ${dir}/models -q`);
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary.policy).toBe('hpa');
    expect(summary.reconfigurations).toBeGreaterThan(0);
    const replicas = readFileSync(join(dir, 'out', 'timeseries.csv'), 'utf8').trim().split('\n').slice(1).map((row) => Number(row.split(',')[2]));
    expect(Math.max(...replicas)).toBeGreaterThan(1);
    expect(execSync('ps -eo args').toString().split('\n').filter((l) => l.includes('model-server.js') && l.includes(dir))).toEqual([]);
  }, 60_000);

  it('refuses a pipeline that is not a chain (fan-in), with exit 2', async () => {
    const { spawnSync } = await import('node:child_process');
    const dir = tempDir('servesim-testbed-');
    const spec = join(dir, 'spec.json');
    const tiny = (name: string) => ({ name, replicas: 1, profile: { file: 'unused.csv', variant: 'cnn-tiny' } });
    writeFileSync(
      spec,
      JSON.stringify({
        name: 'x',
        duration: 2,
        workload: { arrivals: { process: 'poisson', rate: 5 } },
        deployments: [tiny('a'), tiny('b'), tiny('c')],
        pipelines: [{ name: 'p', stages: [{ name: 's1', deployments: ['a'] }, { name: 's2', deployments: ['b'], after: [] }, { name: 's3', deployments: ['c'], after: ['s1', 's2'] }] }],
      }),
    );
    const r = spawnSync(process.execPath, ['bin/servesim.js', 'testbed', 'run', spec], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('servesim: testbed run: pipeline "p" stage "s2": the testbed runs a chain of stages, each after the one before it (no fan-out or fan-in)');
  });
});

describe('several variant deployments on real servers', () => {
  it('splits requests across two deployments by the stage weights [3, 1]', async () => {
    const { execSync } = await import('node:child_process');
    const { existsSync, readFileSync } = await import('node:fs');
    if (!existsSync('dist/servesim.js')) execSync('node scripts/build.mjs');
    const dir = tempDir('servesim-testbed-');
    const spec = join(dir, 'spec.json');
    const tiny = (name: string) => ({ name, replicas: 1, cores: 1, queue: 'per-replica', router: 'least-outstanding', profile: { file: 'unused.csv', variant: 'cnn-tiny' } });
    writeFileSync(
      spec,
      JSON.stringify({
        name: 'weights-real',
        duration: 2,
        workload: { arrivals: { process: 'poisson', rate: 200 } },
        deployments: [tiny('a'), tiny('b')],
        pipelines: [{ name: 'p', stages: [{ name: 's', deployments: ['a', 'b'], weights: [3, 1] }] }],
      }),
    );
    execSync(`node bin/servesim.js testbed run ${spec} --out ${dir}/out --models ${dir}/models -q`);
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary.requests).toBeGreaterThan(200);
    expect(summary.dropped).toBe(0);
    const [a, b] = summary.deployments;
    expect(a.requests + b.requests).toBe(summary.requests);
    expect(Math.abs(a.requests / summary.requests - 0.75)).toBeLessThan(0.03);
    const rows = readFileSync(join(dir, 'out', 'timeseries.csv'), 'utf8').trim().split('\n').slice(1);
    expect(new Set(rows.map((row) => row.split(',')[1]))).toEqual(new Set(['a', 'b']));
    expect(execSync('ps -eo args').toString().split('\n').filter((l) => l.includes('model-server.js') && l.includes(dir))).toEqual([]);
  }, 60_000);

  it('InfAdapter decides on real servers from the capacity data `servesim profile` wrote, and names what is missing', async () => {
    const { execSync, spawnSync } = await import('node:child_process');
    const { existsSync, readFileSync } = await import('node:fs');
    if (!existsSync('dist/servesim.js')) execSync('node scripts/build.mjs');
    const dir = tempDir('servesim-testbed-');
    execSync(`node bin/servesim.js build-models --out ${dir}/models --variants cnn-tiny -q`);
    execSync(`node bin/servesim.js profile --models ${dir}/models --variants cnn-tiny --batches 1 --cores 1,2 --runs 5 --out ${dir}/profile.csv -q`);
    expect(readFileSync(join(dir, 'profile.capacity.csv'), 'utf8').split('\n')[0]).toBe('variant,device,cores,slo_ms,capacity_rps,p99_ms,saturation_rps');
    const variant = (name: string, replicas: number, accuracy: number) => ({
      name,
      replicas,
      cores: 1,
      queue: 'per-replica',
      accuracy,
      profile: { file: join(dir, 'profile.csv'), variant: 'cnn-tiny' },
      lifecycle: { modelLoadSeconds: 0.05 },
    });
    const spec = (capacitySloMs: number) => {
      const path = join(dir, `spec-${capacitySloMs}.json`);
      writeFileSync(
        path,
        JSON.stringify({
          name: 'infadapter-real',
          duration: 6,
          workload: { arrivals: { process: 'poisson', rate: 100 }, slo: 0.1 },
          metricsServer: { scrapeSeconds: 1 },
          deployments: [variant('a', 1, 0.7), variant('b', 0, 0.75)],
          pipelines: [{ name: 'p', stages: [{ name: 's', deployments: ['a', 'b'], weights: [1, 0] }] }],
          policy: { name: 'infadapter', stage: 's', deployments: ['a', 'b'], budgetCores: 2, minCores: 1, capacitySloMs, intervalSeconds: 2, firstDecisionSeconds: 2, scaleDownAfter: 0, predictor: 'ewma' },
        }),
      );
      return path;
    };
    execSync(`node bin/servesim.js testbed run ${spec(100)} --out ${dir}/out --models ${dir}/models -q`);
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary.policy).toBe('infadapter');
    expect(summary.reconfigurations).toBeGreaterThan(0);
    expect(summary.completed).toBeGreaterThan(0);
    expect(execSync('ps -eo args').toString().split('\n').filter((l) => l.includes('model-server.js') && l.includes(dir))).toEqual([]);
    const missing = spawnSync(process.execPath, ['bin/servesim.js', 'testbed', 'run', spec(750), '--models', `${dir}/models`, '-q'], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toBe(
      `servesim: deployment "a": profile ${join(dir, 'profile.csv')} has no capacity data for cnn-tiny/cpu at a 750 ms P99 (it has 100 ms; profile again with \`servesim profile --out ${join(dir, 'profile.csv')} --capacity-slo-ms 750\`)`,
    );
  }, 90_000);

  it('carries out batch, replace (rolling) and weights on running servers without dropping requests', async () => {
    const { execSync } = await import('node:child_process');
    const { existsSync } = await import('node:fs');
    if (!existsSync('dist/model-server.js')) execSync('node scripts/build.mjs');
    const { RealDeployment } = await import('../../src/testbed/actuator.js');
    const { RealStage } = await import('../../src/testbed/real-stage.js');
    const { RealControlPlane, TimerClock } = await import('../../src/testbed/control-plane.js');
    const { replay } = await import('../../src/testbed/load-generator.js');
    const { ensureModel, testbedVariant } = await import('../../src/testbed/onnx-model.js');
    const dir = tempDir('servesim-actions-');
    const modelFor = (name: string) => {
      const v = testbedVariant(name);
      if (v === undefined) throw new Error(name);
      return { model: ensureModel(v, dir), imageSize: v.imageSize };
    };
    const start = performance.now();
    const now = () => (performance.now() - start) / 1000;
    const deployment = (name: string) => new RealDeployment(name, { ...modelFor('cnn-tiny'), maxBatch: 1, maxWaitMs: 0 }, 1, now, 2, { variant: 'cnn-tiny' });
    const [a, b] = [deployment('a'), deployment('b')];
    const stage = new RealStage('s', [a, b], 'weighted-round-robin', [1, 0], () => 0.5);
    const plane = new RealControlPlane(new TimerClock(now), [stage], modelFor);
    try {
      a.scaleTo(1);
      b.scaleTo(1);
      await Promise.all([a.settled(), b.settled()]);
      // 4 s at 150 requests/s: batching at 0.8 s, a's variant replaced at 1.5 s, all traffic to b at 3.5 s.
      const times = Array.from({ length: 600 }, (_, i) => i / 150);
      const at = (t: number, action: Parameters<typeof plane.apply>[0]) => setTimeout(() => plane.apply(action), t * 1000);
      const timers = [
        at(0.8, { kind: 'batch', deployment: 'a', maxBatch: 8, maxWaitSeconds: 0.02 }),
        at(1.5, { kind: 'replace', deployment: 'a', variant: 'cnn-xs', strategy: 'rolling' }),
        at(3.5, { kind: 'weights', stage: 's', weights: [0, 1] }),
      ];
      const responses = await replay(() => stage.pick(), '/infer', times, 10, (r) => [a, b].find((d) => d.name === r.deployment)?.finished(r.port, r.ok));
      timers.forEach(clearTimeout);
      expect(responses).toHaveLength(600);
      expect(responses.filter((r) => !r.ok)).toEqual([]);
      // Batching: one request at a time before the change, batches of several after it.
      const sentIn = (from: number, to: number) => responses.filter((r) => r.sent >= from && r.sent < to);
      expect(Math.max(...sentIn(0, 0.7).map((r) => r.batch))).toBe(1);
      expect(Math.max(...sentIn(1.1, 1.5).map((r) => r.batch))).toBeGreaterThan(1);
      // Replace: a serves cnn-xs from a new server; the cnn-tiny one has gone.
      expect(a.observe().variant).toBe('cnn-xs');
      expect(a.observe().readyReplicas).toBe(1);
      const firstPort = sentIn(0, 1)[0].port;
      const lastOfA = sentIn(0, 3.4).filter((r) => r.deployment === 'a').pop();
      expect(lastOfA?.port).not.toBe(firstPort);
      // Weights: after the change, everything goes to b.
      expect(new Set(sentIn(3.6, 5).map((r) => r.deployment))).toEqual(new Set(['b']));
      // The old server drains for 1 s after its replacement is ready, then stops (wait for it, bounded).
      const serversNow = () => execSync('ps -eo args').toString().split('\n').filter((l) => l.includes('model-server.js') && l.includes(dir));
      for (let i = 0; i < 30 && serversNow().filter((l) => l.includes('cnn-tiny.onnx')).length > 1; i++) await new Promise((r) => setTimeout(r, 100));
      const servers = serversNow();
      expect(servers.filter((l) => l.includes('cnn-xs.onnx'))).toHaveLength(1);
      expect(servers.filter((l) => l.includes('cnn-tiny.onnx'))).toHaveLength(1); // b's
    } finally {
      await Promise.all([a.stopAll(), b.stopAll()]);
    }
    expect(execSync('ps -eo args').toString().split('\n').filter((l) => l.includes('model-server.js') && l.includes(dir))).toEqual([]);
  }, 30_000);
});

describe('in-place resize on a real server', () => {
  it('switches a running server to 2 threads and back under load: no restart, no failed request, the switch timed', async () => {
    const { RealDeployment } = await import('../../src/testbed/actuator.js');
    const { RealStage } = await import('../../src/testbed/real-stage.js');
    const { RealControlPlane, TimerClock } = await import('../../src/testbed/control-plane.js');
    const { replay } = await import('../../src/testbed/load-generator.js');
    const { dir, path } = await tinyModelIn('servesim-resize-');
    const start = performance.now();
    const now = () => (performance.now() - start) / 1000;
    const d = new RealDeployment('tiny', { model: path, imageSize: TINY_VARIANT.imageSize, maxBatch: 1, maxWaitMs: 0 }, 1, now, 2, { variant: 'cnn-tiny' });
    const plane = new RealControlPlane(new TimerClock(now), [new RealStage('s', [d], 'weighted-round-robin', undefined, () => 0.5)], () => ({ model: path, imageSize: TINY_VARIANT.imageSize }));
    try {
      d.scaleTo(1);
      await d.settled();
      const pod = d.observe().pods[0];
      // 3 s at 150 requests/s: 2 threads at 1 s, back to 1 at 2 s.
      const times = Array.from({ length: 450 }, (_, i) => i / 150);
      const at = (t: number, cores: number) => setTimeout(() => plane.apply({ kind: 'resize', deployment: 'tiny', cores, strategy: 'in-place' }), t * 1000);
      const timers = [at(1, 2), at(2, 1)];
      const responses = await replay(() => d.pick(), '/infer', times, 10, (r) => d.finished(r.port, r.ok));
      timers.forEach(clearTimeout);
      expect(responses.filter((r) => !r.ok)).toEqual([]);
      expect(new Set(responses.map((r) => r.port)).size).toBe(1);
      expect(d.restarts).toBe(0);
      expect(d.observe().pods.map((p) => p.id)).toEqual([pod.id]);
      expect(d.observe().coresPerReplica).toBe(1);
      expect(d.resizeMs).toHaveLength(2);
      for (const ms of d.resizeMs) expect(ms).toBeGreaterThan(0);
    } finally {
      await d.stopAll();
    }
    expect(await serversOf(dir)).toEqual([]);
  }, 30_000);
});

describe('the client uplink on the testbed', () => {
  it('a request uploads before it is sent: its latency runs from the client, the server sees it later', async () => {
    const { startServer } = await import('../../src/testbed/server-process.js');
    const { replay } = await import('../../src/testbed/load-generator.js');
    const { path } = await tinyModelIn('servesim-upload-');
    const server = await startServer({ model: path, imageSize: TINY_VARIANT.imageSize, cores: 1, maxBatch: 1, maxWaitMs: 0 });
    try {
      const uploads: number[] = [];
      const times = Array.from({ length: 20 }, (_, i) => i * 0.02);
      const responses = await replay(server.port, '/infer', times, 10, undefined, {
        uploadSeconds: (sent) => {
          uploads.push(sent);
          return 0.1;
        },
      });
      expect(uploads).toHaveLength(20);
      expect(responses.filter((r) => !r.ok)).toEqual([]);
      for (const r of responses) {
        expect(r.received - r.sent).toBeGreaterThanOrEqual(0.1);
        // The server's own share (queue + inference) is far below the upload.
        expect(r.waitMs + r.serviceMs).toBeLessThan(50);
      }
    } finally {
      await server.stop();
    }
  }, 30_000);
});

describe('robustness', () => {
  it('a server killed mid-run is restarted, and stopping leaves no process behind', async () => {
    const { execSync } = await import('node:child_process');
    const { existsSync } = await import('node:fs');
    if (!existsSync('dist/model-server.js')) execSync('node scripts/build.mjs');
    const { RealDeployment } = await import('../../src/testbed/actuator.js');
    const dir = tempDir('servesim-robust-');
    const path = join(dir, `${TINY_VARIANT.name}.onnx`);
    writeFileSync(path, buildCnn(TINY_VARIANT));
    const start = performance.now();
    const d = new RealDeployment('tiny', { model: path, imageSize: TINY_VARIANT.imageSize, maxBatch: 1, maxWaitMs: 0 }, 1, () => (performance.now() - start) / 1000, 2);
    d.scaleTo(1);
    await d.settled();
    const first = d.observe().pods[0];
    const port = d.pick();
    expect(port).not.toBeNull();
    const pid = Number(execSync(`ps -eo pid,args | grep model-server.js | grep ${dir} | grep -v grep | awk '{print $1}'`).toString().trim().split('\n')[0]);
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && (d.restarts === 0 || d.observe().readyReplicas === 0); i++) await new Promise((r) => setTimeout(r, 100));
    await d.settled();
    expect(d.restarts).toBe(1);
    expect(d.observe().readyReplicas).toBe(1);
    // Restarted in its pod, as the kubelet restarts a crashed container: the same pod, a new process.
    expect(d.observe().pods[0].id).toBe(first.id);
    const pids = execSync(`ps -eo pid,args | grep model-server.js | grep ${dir} | grep -v grep | awk '{print $1}'`).toString().trim().split('\n').map(Number);
    expect(pids).toHaveLength(1);
    expect(pids[0]).not.toBe(pid);
    await d.stopAll();
    expect(execSync('ps -eo args').toString().split('\n').filter((l) => l.includes('model-server.js') && l.includes(dir))).toEqual([]);
  }, 30_000);
});
