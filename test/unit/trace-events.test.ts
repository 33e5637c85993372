import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SpecInput } from '../../src/experiment/spec.js';
import type { Summary } from '../../src/experiment/summary.js';
import { TraceEventWriter, type TraceEventOptions } from '../../src/report/trace-events.js';
import { simulate } from '../helpers/run.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `servesim run --trace-events`: a run as a Chrome Trace Event file. A small run is traced whole
 * and read back: its names, each pod's phases one after the other, a slice per batch served, the
 * counters and the decisions; then the bounds (a time range, the cap on events), and that tracing
 * changes nothing and gives the same bytes twice.
 */

interface TraceEvent {
  name: string;
  ph: string;
  cat?: string;
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: string;
  args?: Record<string, unknown>;
}

interface Trace {
  traceEvents: TraceEvent[];
  metadata: Record<string, unknown>;
}

/** A scripted controller: every 5 s, from 5 s on, it returns the actions the script gives for that time (if any). */
const SCRIPT = `export default function script(options) {
  return {
    name: 'script',
    intervalSeconds: 5,
    firstDecisionSeconds: 5,
    decide(observation) {
      return options.actions[String(observation.now)] ?? [];
    },
  };
}
`;
const scriptFile = join(tempDir(), 'script.mjs');
writeFileSync(scriptFile, SCRIPT);

const scale = (replicas: number) => [{ kind: 'scale', deployment: 'svc', replicas }];
/** Scaled to 4 at 5 s (the new pods ready 3.5 s later) and back to 1 at 15 s. */
const SCALE_UP_AND_DOWN = { '5': scale(4), '15': scale(1) };

/** Two replicas serving two batches at once each, under the scripted controller. */
const small = (batching?: { maxBatch: number; maxWaitSeconds: number }, actions: Record<string, unknown[]> = SCALE_UP_AND_DOWN): SpecInput => ({
  name: 'traced',
  seed: 11,
  duration: 25,
  window: 5,
  workload: { arrivals: { process: 'poisson', rate: 50 } },
  deployments: [
    {
      name: 'svc',
      replicas: 2,
      cores: 2,
      concurrency: 2,
      serviceTime: { dist: 'lognormal', mean: 0.05, cv: 1 },
      ...(batching === undefined ? {} : { batching }),
      lifecycle: { containerStartSeconds: 1, modelLoadSeconds: 2, warmupSeconds: 0.5, terminationGraceSeconds: 2, resizeSeconds: 1 },
    },
  ],
  policy: { name: 'module', module: scriptFile, options: { actions } },
});

async function traced(spec: SpecInput, options: Partial<TraceEventOptions> = {}): Promise<{ summary: Summary; text: string; trace: Trace }> {
  const chunks: string[] = [];
  const tracer = new TraceEventWriter({ from: 0, to: 300, ...options, write: (text) => chunks.push(text), about: { spec: spec.name, seed: spec.seed ?? 1 } });
  const summary = await simulate(spec, { tracer, resolveModule: (file) => file });
  const text = chunks.join('');
  return { summary, text, trace: JSON.parse(text) as Trace };
}

const SECOND = 1e6;
const end = (e: TraceEvent) => (e.ts as number) + (e.dur ?? 0);
const threadNames = (trace: Trace) => new Map(trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.tid, e.args?.name as string]));
const slicesOn = (trace: Trace, tid: number) => trace.traceEvents.filter((e) => e.ph === 'X' && e.tid === tid).sort((a, b) => (a.ts as number) - (b.ts as number) || (b.dur as number) - (a.dur as number));
const POD_PHASES = ['pending', 'starting', 'ready', 'resizing', 'terminating'];
const withoutWallTime = ({ wallSeconds: _w, timing: _t, ...rest }: Summary) => rest;

/** Slices on one thread in time order: each ends before the next begins (touching is allowed). */
function expectNoOverlap(slices: TraceEvent[]): void {
  for (let i = 1; i < slices.length; i++) expect(slices[i].ts as number).toBeGreaterThanOrEqual(end(slices[i - 1]));
}

describe('trace events of a run', () => {
  it('names a process per deployment and a thread per pod, and holds each pod\'s phases one after the other', async () => {
    const { trace } = await traced(small());
    expect(Array.isArray(trace.traceEvents)).toBe(true);
    expect(trace.metadata).toMatchObject({ spec: 'traced', seed: 11, truncated: false, policies: ['script'] });
    const processes = trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => e.args?.name);
    expect(processes).toEqual(expect.arrayContaining(['deployment svc', 'control loop']));
    const names = threadNames(trace);
    const podThreads = [...names].filter(([, name]) => /^pod \d+$/.test(name));
    expect(podThreads.map(([, name]) => name).sort()).toEqual(['pod 0', 'pod 1', 'pod 2', 'pod 3']);

    const phasesOf = (pod: number) => {
      const tid = podThreads.find(([, name]) => name === `pod ${pod}`)?.[0] as number;
      const top = slicesOn(trace, tid).filter((e) => POD_PHASES.includes(e.name));
      expectNoOverlap(top);
      return { tid, top };
    };
    // The initial pods are ready from 0; the scale-down to 1 takes the newest ready pods first, then pod 0 (the first of the two as old).
    expect(phasesOf(1).top.map((e) => [e.name, e.ts, end(e)])).toEqual([['ready', 0, 25 * SECOND]]);
    expect(phasesOf(0).top.map((e) => e.name)).toEqual(['ready', 'terminating']);
    for (const pod of [2, 3]) {
      const { tid, top } = phasesOf(pod);
      expect(top.map((e) => e.name)).toEqual(['starting', 'ready', 'terminating']);
      expect([top[0].ts, end(top[0]), top[1].ts, end(top[1]), top[2].ts]).toEqual([5, 8.5, 8.5, 15, 15].map((s) => s * SECOND));
      // Container start, model load and warm-up inside starting, one after the other.
      const inside = slicesOn(trace, tid).filter((e) => !POD_PHASES.includes(e.name));
      expect(inside.map((e) => [e.name, e.ts, e.dur])).toEqual([
        ['container start', 5 * SECOND, 1 * SECOND],
        ['model load', 6 * SECOND, 2 * SECOND],
        ['warm-up', 8 * SECOND, 0.5 * SECOND],
      ]);
      // Terminating lasts until its last batch is done, within the grace period.
      expect(end(top[2]) - (top[2].ts as number)).toBeLessThanOrEqual(2 * SECOND);
    }
  });

  it('has a slice per batch on its pod\'s lane threads, never two at once on one thread', async () => {
    const { trace, summary } = await traced(small());
    const names = threadNames(trace);
    const batches = trace.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'batch');
    const served = batches.filter((e) => e.args?.outcome === undefined);
    // One request a batch: a slice per request served; the ones still in service at the end say so.
    expect(served).toHaveLength(summary.completed);
    expect(batches.length - served.length).toBeLessThanOrEqual(summary.inFlight);
    for (const e of batches) {
      expect(e.name).toBe('batch 1');
      expect(e.args).toMatchObject({ size: 1, variant: 'svc', cores: 1 });
      expect(names.get(e.tid)).toMatch(/^pod \d+ lane [01]$/);
    }
    for (const tid of new Set(batches.map((e) => e.tid))) expectNoOverlap(slicesOn(trace, tid));
    // With two lanes per pod and the load bursting, some pod served two batches at once.
    expect([...names.values()].some((name) => name.endsWith('lane 1'))).toBe(true);
  });

  it('counts the requests of each batch when batching', async () => {
    const { trace, summary } = await traced(small({ maxBatch: 4, maxWaitSeconds: 0.02 }));
    const served = trace.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'batch' && e.args?.outcome === undefined);
    expect(served.reduce((n, e) => n + (e.args?.size as number), 0)).toBe(summary.completed);
    expect(served.every((e) => e.name === `batch ${e.args?.size}`)).toBe(true);
    expect(served.some((e) => (e.args?.size as number) > 1)).toBe(true);
  });

  it('samples the queue and follows the replicas, and marks each decision with its actions', async () => {
    const { trace } = await traced(small());
    const counters = (name: string) => trace.traceEvents.filter((e) => e.ph === 'C' && e.name === name);
    expect(counters('queue').length).toBeGreaterThan(10);
    expect(counters('queue')[0]).toMatchObject({ ts: 0, args: { length: 0 } });
    const replicas = counters('replicas').map((e) => [e.ts, e.args?.desired, e.args?.ready]);
    expect(replicas).toEqual(
      expect.arrayContaining([
        [0, 2, 2],
        [5 * SECOND, 4, 2],
        [8.5 * SECOND, 4, 4],
        [15 * SECOND, 1, 1],
      ]),
    );
    // One counter event a timestamp.
    expect(new Set(replicas.map(([ts]) => ts)).size).toBe(replicas.length);

    const decisions = trace.traceEvents.filter((e) => e.ph === 'i' && e.cat === 'decision');
    expect(decisions.map((e) => e.ts)).toEqual([5, 10, 15, 20, 25].map((s) => s * SECOND).filter((ts) => ts < 25 * SECOND));
    expect(decisions.every((e) => e.s === 'p' || e.s === 'g')).toBe(true);
    expect(decisions[0]).toMatchObject({ name: 'script: scale svc to 4', args: { policy: 'script', actions: [{ kind: 'scale', deployment: 'svc', replicas: 4, applied: true }] } });
    expect(decisions[1]).toMatchObject({ name: 'script: no change', args: { actions: [] } });
    expect(decisions[2].args?.actions).toEqual([{ kind: 'scale', deployment: 'svc', replicas: 1, applied: true }]);
  });

  it('shows a pod waiting for room as pending, and the batches of pods sharing a node\'s cores', async () => {
    const spec = { ...small(), cluster: { cpu: 'shared' as const, nodePools: [{ name: 'pool', nodes: 3, cores: 2 }] } };
    const { trace, summary } = await traced(spec);
    const names = [...threadNames(trace)];
    const phasesOf = (pod: number) => {
      const tid = names.find(([, name]) => name === `pod ${pod}`)?.[0] as number;
      return slicesOn(trace, tid).filter((e) => POD_PHASES.includes(e.name)).map((e) => [e.name, e.ts, end(e)]);
    };
    // Three nodes for four pods: the last one waits until the scale-down takes it first.
    expect(phasesOf(3)).toEqual([['pending', 5 * SECOND, 15 * SECOND]]);
    expect(phasesOf(2).map(([name]) => name)).toEqual(['starting', 'ready', 'terminating']);
    const served = trace.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'batch' && e.args?.outcome === undefined);
    expect(served).toHaveLength(summary.completed);
    for (const tid of new Set(served.map((e) => e.tid))) expectNoOverlap(slicesOn(trace, tid));
  });

  it('shows an in-place resize as a phase of the pod between two ready ones', async () => {
    const resize = { kind: 'resize-pod', deployment: 'svc', pod: 0, cores: 3, evictIfDeferred: false };
    const { trace } = await traced(small(undefined, { '10': [resize] }));
    const pod0 = [...threadNames(trace)].find(([, name]) => name === 'pod 0')?.[0] as number;
    expect(slicesOn(trace, pod0).map((e) => [e.name, e.ts, end(e), e.args?.cores])).toEqual([
      ['ready', 0, 10 * SECOND, 2],
      ['resizing', 10 * SECOND, 11 * SECOND, 2],
      ['ready', 11 * SECOND, 25 * SECOND, 3],
    ]);
    const decision = trace.traceEvents.find((e) => e.cat === 'decision' && e.ts === 10 * SECOND);
    expect(decision?.name).toBe('script: resize svc pod 0 to 3 cores');
  });

  it('holds only [from, to], slices clipped to it', async () => {
    const { trace } = await traced(small(), { from: 6, to: 11 });
    const timed = trace.traceEvents.filter((e) => e.ph !== 'M');
    expect(timed.length).toBeGreaterThan(0);
    for (const e of timed) {
      expect(e.ts as number).toBeGreaterThanOrEqual(6 * SECOND);
      expect(end(e)).toBeLessThanOrEqual(11 * SECOND);
    }
    expect(trace.metadata).toMatchObject({ fromSeconds: 6, toSeconds: 11, endSeconds: 11 });
    // Pod 2 was starting since 5 s: its slice begins at 6 s; the decision at 10 s is in, the one at 5 s is not.
    const pod2 = [...threadNames(trace)].find(([, name]) => name === 'pod 2')?.[0] as number;
    expect(slicesOn(trace, pod2).map((e) => [e.name, e.ts, end(e)])).toEqual([
      ['starting', 6 * SECOND, 8.5 * SECOND],
      ['model load', 6 * SECOND, 8 * SECOND],
      ['warm-up', 8 * SECOND, 8.5 * SECOND],
      ['ready', 8.5 * SECOND, 11 * SECOND],
    ]);
    expect(trace.traceEvents.filter((e) => e.cat === 'decision').map((e) => e.ts)).toEqual([10 * SECOND]);
    expect(trace.traceEvents.find((e) => e.ph === 'C' && e.name === 'replicas')).toMatchObject({ ts: 6 * SECOND, args: { desired: 4, ready: 2 } });
  });

  it('stops at the cap on events, saying where', async () => {
    const { trace } = await traced(small(), { maxEvents: 200 });
    const note = trace.traceEvents.filter((e) => e.name === 'trace truncated');
    expect(note).toHaveLength(1);
    const at = trace.metadata.truncatedAtSeconds as number;
    expect(trace.metadata.truncated).toBe(true);
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(25);
    expect(note[0]).toMatchObject({ ph: 'i', s: 'g', ts: Math.round(at * SECOND), args: { maxEvents: 200 } });
    // Past the cap only the slices still open are closed, at the cut, and the note.
    expect(trace.traceEvents.length).toBeLessThan(200 + 20);
    for (const e of trace.traceEvents) if (e.ph !== 'M') expect(end(e)).toBeLessThanOrEqual(Math.round(at * SECOND));
    expect(trace.metadata.events).toBe(trace.traceEvents.length);
  });

  it('gives the same bytes twice and changes nothing in the run', async () => {
    const [a, b] = [await traced(small()), await traced(small())];
    expect(a.text).toBe(b.text);
    const untraced = await simulate(small(), { resolveModule: (file) => file });
    expect(withoutWallTime(a.summary)).toEqual(withoutWallTime(untraced));
  });

  it('refuses a range that is not one', () => {
    const write = () => {};
    expect(() => new TraceEventWriter({ from: -1, to: 10, write })).toThrow(/from -1/);
    expect(() => new TraceEventWriter({ from: 10, to: 10, write })).toThrow(/after from/);
  });
});
