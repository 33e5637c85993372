// The real-hardware testbed leaves no process or folder behind, never hangs, and never reports a
// failed run as a success. Each test starts only small servers (cnn-tiny) or in-process fakes on
// 127.0.0.1, finds its own servers by the unique folder their model is in, and removes what it made.
import { execSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RealDeployment } from '../../src/testbed/actuator.js';
import { CrashLoopBackOff } from '../../src/testbed/crash-backoff.js';
import { MAX_SOCKETS_PER_SERVER, replay } from '../../src/testbed/load-generator.js';
import { TINY_VARIANT, writeModel } from '../../src/testbed/onnx-model.js';
import { ModelLoadError, startServer } from '../../src/testbed/server-process.js';
import { ServerSlots } from '../../src/testbed/server-slots.js';

const folders: string[] = [];
/** A fresh folder for one test; it and any server whose model is in it go in afterEach. */
function folder(prefix = 'servesim-hardening-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
}

/** Pids of the model servers whose command line names `dir` (only this test's servers). */
function serversIn(dir: string): number[] {
  return execSync('ps -eo pid=,args=')
    .toString()
    .split('\n')
    .filter((line) => line.includes('model-server.js') && line.includes(dir))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 50 ms for at most `seconds`; returns whether it became true. */
async function waitFor(condition: () => boolean, seconds: number): Promise<boolean> {
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    if (condition()) return true;
    await sleep(50);
  }
  return condition();
}

function tinyModel(dir: string): string {
  return writeModel(TINY_VARIANT, dir);
}

const tinyServer = (model: string, extra: { maxBatch?: number; maxWaitMs?: number; maxQueue?: number } = {}) =>
  startServer({ model, imageSize: TINY_VARIANT.imageSize, cores: 1, maxBatch: extra.maxBatch ?? 1, maxWaitMs: extra.maxWaitMs ?? 0, maxQueue: extra.maxQueue });

function getJson(port: number, path: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(JSON.parse(body)));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An in-process HTTP server on 127.0.0.1 that answers as `handle` says, closed after the test. */
const fakes: Server[] = [];
async function fakeServer(handle: (response: ServerResponse) => void): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handle(res));
  });
  fakes.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { port: typeof address === 'object' && address !== null ? address.port : 0, server };
}

beforeAll(() => {
  // The servers run from the bundle: build it if this checkout has not.
  if (!existsSync('dist/model-server.js') || !existsSync('dist/servesim.js')) execSync('node scripts/build.mjs');
});

afterEach(async () => {
  for (const server of fakes.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
  for (const dir of folders.splice(0)) {
    for (const pid of serversIn(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('children never outlive the parent', () => {
  // A parent that starts servers through the project's code: `servesim testbed run` itself.
  for (const signal of ['SIGKILL', 'SIGHUP'] as const) {
    it(`a testbed run killed with ${signal} leaves no server after two seconds`, async () => {
      const dir = folder();
      const spec = join(dir, 'spec.json');
      writeFileSync(
        spec,
        JSON.stringify({
          name: 'orphans',
          duration: 30,
          workload: { arrivals: { process: 'poisson', rate: 20 } },
          deployments: [{ name: 'tiny', replicas: 2, cores: 1, queue: 'per-replica', profile: { file: 'unused.csv', variant: 'cnn-tiny' } }],
        }),
      );
      const parent = spawn(process.execPath, ['bin/servesim.js', 'testbed', 'run', spec, '--models', join(dir, 'models'), '--out', join(dir, 'out'), '-q'], { stdio: 'ignore' });
      const ended = new Promise<void>((resolve) => parent.once('exit', () => resolve()));
      try {
        expect(await waitFor(() => serversIn(dir).length === 2, 20)).toBe(true);
        await sleep(300);
        parent.kill(signal);
        await ended;
        expect(await waitFor(() => serversIn(dir).length === 0, 2)).toBe(true);
      } finally {
        if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
      }
    }, 30_000);
  }

  it('stop() sends SIGTERM, then SIGKILL once the grace period has passed', async () => {
    const server = await tinyServer(tinyModel(folder()));
    // A stopped process cannot act on SIGTERM; only SIGKILL ends it.
    process.kill(server.pid, 'SIGSTOP');
    const start = performance.now();
    await server.stop(0.3);
    expect(performance.now() - start).toBeGreaterThanOrEqual(250);
    expect(performance.now() - start).toBeLessThan(3000);
    expect(() => process.kill(server.pid, 0)).toThrow();
  }, 15_000);

  it('the crash back-off is the kubelet\'s: at once, then 10 s doubling to 5 min, reset after 10 min of running', () => {
    const backOff = new CrashLoopBackOff();
    let t = 0;
    const delays = [];
    for (let crash = 0; crash < 8; crash++) {
      const delay = backOff.delayAfterCrash(t);
      delays.push(delay);
      t += delay + 1; // restarted, and crashed again a second later
    }
    expect(delays).toEqual([0, 10, 20, 40, 80, 160, 300, 300]);
    // Ten minutes and more of running since the last restart: the next crash is a first crash again.
    expect(backOff.delayAfterCrash(t + 601)).toBe(0);
    expect(backOff.delayAfterCrash(t + 602)).toBe(10);
    const scaled = new CrashLoopBackOff({ initialSeconds: 0.1, maxSeconds: 0.3 });
    expect([0, 1, 2, 3, 4].map(() => scaled.delayAfterCrash(0))).toEqual([0, 0.1, 0.2, 0.3, 0.3]);
  });

  it('a server that crashes again soon waits out its back-off before it restarts', async () => {
    const dir = folder();
    const model = tinyModel(dir);
    const start = performance.now();
    const d = new RealDeployment('tiny', { model, imageSize: TINY_VARIANT.imageSize, maxBatch: 1, maxWaitMs: 0 }, 1, () => (performance.now() - start) / 1000, 2, {
      crashBackOff: { initialSeconds: 1.5, maxSeconds: 3 },
    });
    try {
      d.scaleTo(1);
      await d.settled();
      // First crash: restarted at once.
      process.kill(serversIn(dir)[0], 'SIGKILL');
      expect(await waitFor(() => d.restarts === 1 && d.readyCount() === 1, 10)).toBe(true);
      // Second crash soon after: no server for the 1.5 s back-off, then one.
      process.kill(serversIn(dir)[0], 'SIGKILL');
      const crashed = performance.now();
      expect(await waitFor(() => d.restarts === 2, 5)).toBe(true);
      await sleep(700);
      expect(serversIn(dir)).toEqual([]);
      expect(d.observe().readyReplicas).toBe(0);
      expect(await waitFor(() => d.readyCount() === 1, 10)).toBe(true);
      expect(performance.now() - crashed).toBeGreaterThanOrEqual(1500);
    } finally {
      await d.stopAll();
    }
    expect(serversIn(dir)).toEqual([]);
  }, 30_000);

  it('validate removes its temporary folders, when it succeeds and when it fails', async () => {
    const { validateConfig } = await import('../../src/experiment/validate.js');
    const scratch = folder();
    const models = folder();
    const before = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    // Only the validation's own folders: other libraries may write here too.
    const leftovers = () => readdirSync(scratch).filter((name) => name.startsWith('servesim-validate-'));
    try {
      const config = { name: 'tiny', variant: TINY_VARIANT, cores: 1, utilisation: 0.2, durationSeconds: 1 };
      const { real } = await validateConfig(config, models, 1);
      expect(real.requests).toBeGreaterThan(0);
      expect(leftovers()).toEqual([]);
      writeFileSync(join(models, 'cnn-tiny.onnx'), 'not a model');
      await expect(validateConfig(config, models, 1)).rejects.toThrow(`${join(models, 'cnn-tiny.onnx')}: not an ONNX model`);
      expect(leftovers()).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
    expect(serversIn(models)).toEqual([]);
  }, 30_000);
});

describe('no wrong answer with exit 0', () => {
  const spec = (dir: string, fields: Record<string, unknown> = {}) => {
    const path = join(dir, 'spec.json');
    writeFileSync(
      path,
      JSON.stringify({
        name: 'failing',
        duration: 1,
        workload: { arrivals: { process: 'poisson', rate: 30 }, slo: 1 },
        deployments: [{ name: 'tiny', replicas: 0, cores: 1, queue: 'per-replica', profile: { file: 'unused.csv', variant: 'cnn-tiny' } }],
        ...fields,
      }),
    );
    return path;
  };
  const servesim = (...args: string[]) => spawnSync(process.execPath, ['bin/servesim.js', ...args], { encoding: 'utf8', timeout: 30_000 });

  it('a run whose every request failed exits 3, writes its summary, and prints "-" for the missing figures', () => {
    const dir = folder();
    const r = servesim('testbed', 'run', spec(dir), '--models', join(dir, 'models'), '--out', join(dir, 'out'));
    expect(r.status).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^servesim: testbed run: (\d+) of \1 requests failed \(100\.00%\), above the 1\.00% threshold \(--max-failed-share\)/);
    expect(r.stdout).toContain('latency ms  mean -  p50 -  p99 -');
    expect(r.stdout).not.toContain('undefined');
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary.requests).toBeGreaterThan(0);
    expect(summary.dropped).toBe(summary.requests);
    expect(summary.testbed).toMatchObject({ failedShare: 1, maxFailedShare: 0.01, passed: false });
    // The threshold is the user's to set.
    expect(servesim('testbed', 'run', spec(dir), '--models', join(dir, 'models'), '--out', join(dir, 'out'), '-q', '--max-failed-share', '1').status).toBe(0);
    expect(servesim('testbed', 'run', spec(dir), '--max-failed-share', '2').stderr.trim()).toBe('servesim: --max-failed-share: expected a fraction between 0 and 1, got "2"');
  }, 30_000);

  it('a corrupt model is one line naming the file, exit 2, before any load', async () => {
    const dir = folder();
    writeFileSync(join(dir, 'cnn-tiny.onnx'), 'this is not a model\n');
    const r = servesim('testbed', 'run', spec(dir, { deployments: [{ name: 'tiny', replicas: 1, profile: { file: 'unused.csv', variant: 'cnn-tiny' } }] }), '--models', dir, '--out', join(dir, 'out'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^servesim: ${join(dir, 'cnn-tiny.onnx')}: not an ONNX model \\(.*\\); rebuild it with \`servesim build-models --out ${dir}\`\\n$`));
    expect(existsSync(join(dir, 'out', 'summary.json'))).toBe(false);
    // A file that gets past the check but not past onnxruntime: the server's own one-line reason, naming the file.
    const error = await tinyServer(join(dir, 'cnn-tiny.onnx')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toMatch(new RegExp(`^${join(dir, 'cnn-tiny.onnx')}: not a model onnxruntime can load \\(.+\\); rebuild it`));
    expect(serversIn(dir)).toEqual([]);
  }, 30_000);
});

describe('a bounded testbed', () => {
  it('reads arrival times as it goes, not all up front', async () => {
    const { port } = await fakeServer((res) => res.end('{"batch":1,"serviceMs":0.1,"waitMs":0}'));
    const pulledAt: number[] = [];
    const start = performance.now();
    function* times() {
      for (let i = 0; i < 20; i++) {
        pulledAt.push(performance.now() - start);
        yield i * 0.025;
      }
    }
    const responses = await replay(port, '/infer', times(), 5);
    expect(responses).toHaveLength(20);
    expect(responses.every((r) => r.ok)).toBe(true);
    // The last time is read when the one before it is sent, about 0.45 s in, not at the start.
    expect(pulledAt[19]).toBeGreaterThan(400);
  });

  it('an arrival source that fails mid-replay ends it with its error once the requests sent have settled', async () => {
    let answered = 0;
    const { port } = await fakeServer((res) => {
      answered++;
      res.end('{"batch":1,"serviceMs":0.1,"waitMs":0}');
    });
    function* times() {
      yield 0;
      yield 0.01;
      yield 0.02;
      throw new Error('traces/bad.csv:4: expected a count');
    }
    await expect(replay(port, '/infer', times(), 5)).rejects.toThrow('traces/bad.csv:4: expected a count');
    expect(answered).toBe(3);
  });

  it('opens at most maxSockets connections to a server, and bounds requests that wait for one', async () => {
    expect(Number.isFinite(MAX_SOCKETS_PER_SERVER)).toBe(true);
    let open = 0;
    const { port, server } = await fakeServer(() => {}); // never answers
    server.on('connection', (socket) => {
      open++;
      socket.on('close', () => open--);
    });
    // While all 20 wait (before their timeouts), 4 connections are open.
    let openWhileWaiting = -1;
    const snapshot = setTimeout(() => (openWhileWaiting = open), 300);
    const start = performance.now();
    const responses = await replay(port, '/infer', Array.from({ length: 20 }, () => 0), 0.5, undefined, { maxSocketsPerServer: 4 });
    clearTimeout(snapshot);
    expect(openWhileWaiting).toBe(4);
    expect(responses.every((r) => !r.ok)).toBe(true);
    // Every request, queued for a connection or not, ends within its own 0.5 s.
    expect(performance.now() - start).toBeLessThan(1500);
  });

  it('a malformed or cut-off reply is a failed request, never a throw', async () => {
    const bodies = ['not json{', '[1,2]', '{"serviceMs":"fast"}'];
    let turn = 0;
    const { port } = await fakeServer((res) => {
      const k = turn++;
      if (k < bodies.length) return res.end(bodies[k]);
      // Headers and half a body, then the connection drops.
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"batch":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const responses = await replay(port, '/infer', [0, 0.05, 0.1, 0.15], 5);
    expect(responses.map((r) => r.ok)).toEqual([false, false, false, false]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });

  it('refuses replicas past the cap on server processes; a pod past a shared cap waits, Pending, for a slot', async () => {
    const dir = folder();
    const model = tinyModel(dir);
    const start = performance.now();
    const now = () => (performance.now() - start) / 1000;
    const template = { model, imageSize: TINY_VARIANT.imageSize, maxBatch: 1, maxWaitMs: 0 };
    const slots = new ServerSlots(2);
    const a = new RealDeployment('a', template, 1, now, 2, { slots });
    const b = new RealDeployment('b', template, 1, now, 2, { slots });
    try {
      a.scaleTo(3);
      await a.settled();
      expect(a.refused).toBe(1);
      expect(a.readyCount()).toBe(2);
      expect(serversIn(dir)).toHaveLength(2);
      b.scaleTo(1);
      expect(b.observe().pods.map((p) => p.phase)).toEqual(['Pending']);
      expect(slots.deferred).toBe(1);
      expect(b.allocatedCores()).toBe(0);
      a.scaleTo(1);
      // One of a's servers drains for 1 s and stops; b's takes its slot.
      expect(await waitFor(() => b.readyCount() === 1, 10)).toBe(true);
      expect(serversIn(dir)).toHaveLength(2);
    } finally {
      await Promise.all([a.stopAll(), b.stopAll()]);
    }
    expect(slots.inUse()).toBe(0);
    expect(serversIn(dir)).toEqual([]);
  }, 30_000);

  it('a policy that asks for replicas past --max-servers at run time gets the cap, and the summary counts the refusal', () => {
    const dir = folder();
    writeFileSync(
      join(dir, 'burst.mjs'),
      "export default () => ({ name: 'burst', intervalSeconds: 1, firstDecisionSeconds: 0.3, decide: () => [{ kind: 'scale', deployment: 'tiny', replicas: 5 }] });\n",
    );
    const path = join(dir, 'spec.json');
    writeFileSync(
      path,
      JSON.stringify({
        name: 'burst',
        duration: 2,
        workload: { arrivals: { process: 'poisson', rate: 20 } },
        deployments: [{ name: 'tiny', replicas: 1, cores: 1, queue: 'per-replica', profile: { file: 'unused.csv', variant: 'cnn-tiny' } }],
        policy: { name: 'module', module: './burst.mjs' },
      }),
    );
    const r = spawnSync(process.execPath, ['bin/servesim.js', 'testbed', 'run', path, '--models', join(dir, 'models'), '--out', join(dir, 'out'), '--max-servers', '2'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('3 replicas refused past the cap of 2 servers (--max-servers)');
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary.reconfigurations).toBe(1);
    expect(summary.testbed).toMatchObject({ maxServers: 2, replicasRefused: 3, passed: true });
    expect(summary.meanCores).toBeLessThanOrEqual(2);
    expect(serversIn(dir)).toEqual([]);
  }, 30_000);

  it('a spec that starts more servers than the cap is refused before any starts', () => {
    const dir = folder();
    const path = join(dir, 'spec.json');
    writeFileSync(
      path,
      JSON.stringify({
        name: 'too-many',
        duration: 1,
        workload: { arrivals: { process: 'poisson', rate: 5 } },
        deployments: [{ name: 'tiny', replicas: 3, profile: { file: 'unused.csv', variant: 'cnn-tiny' } }],
      }),
    );
    const r = spawnSync(process.execPath, ['bin/servesim.js', 'testbed', 'run', path, '--models', dir, '--max-servers', '2'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('servesim: testbed run: the spec starts 3 servers (deployments[0].replicas 3), more than the 2 server processes a run may have (--max-servers)');
    expect(serversIn(dir)).toEqual([]);
  });

  it("a server's queue is bounded: requests past it are answered 503 and counted as dropped", async () => {
    // Batches wait 1.5 s to fill, so requests stay queued.
    const server = await tinyServer(tinyModel(folder()), { maxBatch: 64, maxWaitMs: 1500, maxQueue: 3 });
    try {
      const responses = await replay(server.port, '/infer', Array.from({ length: 8 }, () => 0), 10);
      expect(responses.filter((r) => r.ok)).toHaveLength(3);
      const rejected = responses.filter((r) => !r.ok);
      expect(rejected.map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
      expect(Math.max(...rejected.map((r) => r.received))).toBeLessThan(1);
      expect(await getJson(server.port, '/stats')).toMatchObject({ served: 3, rejected: 5, abandoned: 0 });
    } finally {
      await server.stop();
    }
  }, 15_000);

  it('a request whose client has gone is not served', async () => {
    const server = await tinyServer(tinyModel(folder()), { maxBatch: 64, maxWaitMs: 1000 });
    try {
      // The clients give up after 0.2 s, long before the batch is due.
      const responses = await replay(server.port, '/infer', [0, 0, 0, 0, 0], 0.2);
      expect(responses.every((r) => !r.ok)).toBe(true);
      await sleep(1200);
      expect(await getJson(server.port, '/stats')).toMatchObject({ served: 0, abandoned: 5, queued: 0 });
    } finally {
      await server.stop();
    }
  }, 15_000);
});

afterAll(() => {
  for (const server of fakes.splice(0)) server.close();
});
