import type { Deployment } from '../cluster/deployment.js';
import type { Lane, Pod } from '../cluster/pod.js';
import type { Decision } from '../control/loop.js';
import type { Action } from '../control/types.js';
import type { RunTracer } from '../experiment/run.js';

/**
 * A simulated run as a Chrome Trace Event Format file (the JSON object form: `{"traceEvents": [...],
 * "metadata": {...}}`), which https://ui.perfetto.dev and chrome://tracing open. No
 * `displayTimeUnit`: milliseconds are the format's default, and some viewers scale the time axis
 * wrongly when it is given. Timestamps are microseconds of simulated time. What it holds:
 * - a process per deployment ("deployment <name>"), a thread per pod ("pod <id>") whose slices are
 *   its phases one after the other: pending, starting (with container start, model load and warm-up
 *   inside it), ready, resizing (a ready pod with an in-place resize under way), terminating;
 * - batches as slices ("batch <size>", args size, variant, cores) on threads "pod <id> lane <k>"
 *   beside the pod's: a pod serving several batches at once gets a thread per batch it serves at
 *   the same time, so that slices on one thread never overlap;
 * - counters per deployment: "queue" (requests waiting) sampled every `sampleSeconds`, and
 *   "replicas" (desired and ready) at each change;
 * - the control loop's decisions as instant events on the process "control loop", their actions
 *   (and whether each changed anything) in args.
 * It is bounded: only [from, to] of simulated time is recorded (slices clipped to it), and past
 * `maxEvents` events recording stops with a "trace truncated" instant event and a note in the
 * metadata. Events go to `write` as they come, one a line, so the file is never held in memory.
 *
 * The npm package chrome-trace-event was considered and not used: it stamps events with the
 * process's own clock and pid (a trace of a simulated run needs simulated time and the same bytes
 * on every run), streams through an asynchronous Readable, and writes the JSON array form, which
 * has no room for metadata; writing the events as JSON is simpler than working around all three.
 */

/** Simulated seconds a trace covers unless told otherwise: the first five minutes. */
export const DEFAULT_TRACE_SECONDS = 300;
/**
 * Events a trace holds before recording stops: about 40 MB at some 140 bytes an event (most are
 * batches: two hours of hpa-twitter-2h are 389,000 events in 54 MB), well within what Perfetto and
 * chrome://tracing open.
 */
export const DEFAULT_MAX_TRACE_EVENTS = 300_000;
/** Simulated seconds between samples of the queue length. */
export const TRACE_SAMPLE_SECONDS = 0.1;

export interface TraceEventOptions {
  /** Simulated seconds, `from` ≥ 0 and `to` > `from` (Infinity: to the end of the run). */
  from: number;
  to: number;
  maxEvents?: number;
  sampleSeconds?: number;
  /** Where the JSON text goes, piece by piece (an `AtomicFile`'s `write`). */
  write: (text: string) => void;
  /** Put in the file's metadata as they are (the spec's name and seed). */
  about?: Record<string, string | number>;
}

/** Thread ids: pod `id`'s own is (id + 1) · TIDS_PER_POD, its lanes' the next ones, so that a pod's threads sort together. */
const TIDS_PER_POD = 1000;
/** Batches a pod serves at once beyond this many are left out (counted in the metadata); no profile comes near it. */
const MAX_LANE_THREADS = TIDS_PER_POD - 1;
/** The process of the control loop's decisions; deployments follow in spec order. */
const CONTROL_PID = 1;

type Phase = 'pending' | 'starting' | 'ready' | 'resizing' | 'terminating';

type Args = Record<string, unknown>;

interface DeploymentTrack {
  readonly deployment: Deployment;
  readonly pid: number;
  named: boolean;
  /** Counter values last written ("queue", "replicas"), as their args' JSON. */
  queueShown: string;
  replicasShown: string;
  /** The values seen last, at `seenUs`, written once time moves on (one counter event per timestamp). */
  seenUs: number;
  seenQueue: number;
  seenDesired: number;
  seenReady: number;
}

interface PodTrack {
  readonly pod: Pod;
  readonly owner: DeploymentTrack;
  readonly tid: number;
  named: boolean;
  phase: Phase | null;
  /** When the phase began (seconds) and what it showed then. */
  since: number;
  args: Args;
  resizing: boolean;
  /** The lane threads' batches in service (null: free), and which threads have their names written. */
  readonly slots: (OpenBatch | null)[];
  readonly slotNamed: boolean[];
}

interface OpenBatch {
  readonly track: PodTrack;
  readonly slot: number;
  readonly start: number;
  readonly args: Args;
}

const us = (seconds: number) => Math.round(seconds * 1e6);

/** What one action did, in a few words (an instant event's name). */
function describeAction(action: Action): string {
  switch (action.kind) {
    case 'scale':
      return `scale ${action.deployment} to ${action.replicas}`;
    case 'resize':
      return `resize ${action.deployment} to ${action.cores} cores (${action.strategy})`;
    case 'replace':
      return `replace ${action.deployment} with ${action.variant} (${action.strategy})`;
    case 'template':
      return `template of ${action.deployment}: ${action.cores} cores`;
    case 'evict':
      return `evict ${action.deployment} pod ${action.pod}`;
    case 'resize-pod':
      return `resize ${action.deployment} pod ${action.pod} to ${action.cores} cores`;
    case 'batch':
      return `batch ${action.deployment}: ${action.maxBatch} within ${action.maxWaitSeconds} s`;
    case 'weights':
      return `weights of ${action.stage}`;
  }
}

export class TraceEventWriter implements RunTracer {
  private readonly from: number;
  /** Where recording ends: the `to` asked for until the trace closes, then where it closed. */
  private to: number;
  private readonly askedTo: number;
  private readonly maxEvents: number;
  private readonly sampleSeconds: number;
  private readonly write: (text: string) => void;
  private readonly about: Record<string, string | number>;
  private readonly deployments = new Map<Deployment, DeploymentTrack>();
  private readonly pods = new Map<Pod, PodTrack>();
  private readonly batches = new Map<Lane, OpenBatch>();
  private policies: readonly string[] = [];
  private controlNamed = false;
  private events = 0;
  private nextSampleIndex = 0;
  /** Recording is over: `to` passed, the cap reached, or the run finished. */
  private done = false;
  private truncatedAt: number | null = null;
  private omittedBatches = 0;
  private finished = false;

  constructor(options: TraceEventOptions) {
    if (!(options.from >= 0 && Number.isFinite(options.from))) throw new RangeError(`trace from ${options.from} s: expected a finite time ≥ 0`);
    if (!(options.to > options.from)) throw new RangeError(`trace to ${options.to} s: expected a time after from (${options.from} s)`);
    this.from = options.from;
    this.to = options.to;
    this.askedTo = options.to;
    this.maxEvents = options.maxEvents ?? DEFAULT_MAX_TRACE_EVENTS;
    this.sampleSeconds = options.sampleSeconds ?? TRACE_SAMPLE_SECONDS;
    if (!(this.maxEvents >= 1)) throw new RangeError(`trace maxEvents ${this.maxEvents}: expected at least 1`);
    if (!(this.sampleSeconds > 0)) throw new RangeError(`trace sampleSeconds ${this.sampleSeconds}: expected more than 0`);
    this.write = options.write;
    this.about = options.about ?? {};
    this.write('{"traceEvents":[');
  }

  // ----- what the run tells -----

  start(deployments: readonly Deployment[], policies: readonly string[], now: number): void {
    this.policies = policies;
    deployments.forEach((deployment, i) => {
      this.deployments.set(deployment, {
        deployment,
        pid: CONTROL_PID + 1 + i,
        named: false,
        queueShown: '',
        replicasShown: '',
        seenUs: NaN,
        seenQueue: 0,
        seenDesired: 0,
        seenReady: 0,
      });
      for (const pod of deployment.pods) this.podState(deployment, pod, now);
    });
  }

  podState(deployment: Deployment, pod: Pod, time: number): void {
    if (!this.recording(time)) return;
    const track = this.podTrack(deployment, pod);
    if (pod.state === 'gone') {
      this.closePhase(track, time);
      this.pods.delete(pod);
    } else this.enterPhase(track, time);
    this.observe(track.owner, time);
  }

  podResizing(_deployment: Deployment, pod: Pod, resizing: boolean, time: number): void {
    if (!this.recording(time)) return;
    const track = this.pods.get(pod);
    if (track === undefined) return;
    track.resizing = resizing;
    this.enterPhase(track, time);
  }

  batchStart(deployment: Deployment, lane: Lane, time: number): void {
    if (!this.recording(time)) return;
    const track = this.podTrack(deployment, lane.pod);
    let slot = track.slots.indexOf(null);
    if (slot < 0) slot = track.slots.length;
    if (slot >= MAX_LANE_THREADS) {
      this.omittedBatches++;
      return;
    }
    const batch: OpenBatch = { track, slot, start: time, args: { size: lane.size, variant: lane.pod.variant.name, cores: lane.cores } };
    track.slots[slot] = batch;
    this.batches.set(lane, batch);
  }

  batchEnd(_deployment: Deployment, lane: Lane, time: number, cut: boolean): void {
    if (!this.recording(time)) return;
    const batch = this.batches.get(lane);
    if (batch === undefined) return;
    this.batches.delete(lane);
    this.closeBatch(batch, time, cut ? 'terminated' : null);
  }

  decision(decision: Decision): void {
    const time = decision.time;
    if (!this.recording(time) || time < this.from) return;
    const applied = decision.actions.filter((a) => a.applied).map((a) => a.action);
    const what = applied.length === 0 ? 'no change' : applied.length === 1 ? describeAction(applied[0]) : `${applied.length} changes`;
    if (!this.controlNamed) {
      this.controlNamed = true;
      this.metadata(CONTROL_PID, 0, 'process_name', 'control loop');
      this.metadata(CONTROL_PID, 0, 'process_sort_index', CONTROL_PID);
    }
    this.emit({
      name: `${decision.policy}: ${what}`,
      cat: 'decision',
      ph: 'i',
      s: 'p',
      ts: us(time),
      pid: CONTROL_PID,
      tid: 0,
      args: { policy: decision.policy, actions: decision.actions.map(({ action, applied }) => ({ ...action, applied })) },
    });
    for (const track of this.deployments.values()) this.observe(track, time);
  }

  nextSample(): number {
    if (this.done) return Infinity;
    const at = this.from + this.nextSampleIndex * this.sampleSeconds;
    return at <= this.to ? at : Infinity;
  }

  sample(time: number): void {
    this.nextSampleIndex++;
    if (!this.recording(time) || time < this.from) return;
    for (const track of this.deployments.values()) this.observe(track, time);
  }

  finish(time: number): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.done) this.stopRecording(Math.min(time, this.to));
    const metadata = {
      generator: 'servesim run --trace-events',
      clock: 'ts: microseconds of simulated time',
      ...this.about,
      policies: this.policies,
      fromSeconds: this.from,
      toSeconds: Number.isFinite(this.askedTo) ? this.askedTo : null,
      endSeconds: this.to,
      sampleSeconds: this.sampleSeconds,
      maxEvents: this.maxEvents,
      events: this.events,
      truncated: this.truncatedAt !== null,
      truncatedAtSeconds: this.truncatedAt,
      ...(this.omittedBatches > 0 ? { omittedBatches: this.omittedBatches } : {}),
    };
    this.write(`\n],\n"metadata":${JSON.stringify(metadata)}}\n`);
  }

  // ----- bounds -----

  /**
   * Whether an event at `time` is still recorded. Past `to` the trace closes (open slices end at
   * `to`); at the cap it closes where it is, with a note; either way the deployments stop calling.
   */
  private recording(time: number): boolean {
    if (this.done) return false;
    if (time > this.to) this.stopRecording(this.to);
    else if (this.events >= this.maxEvents) {
      this.truncatedAt = time;
      this.stopRecording(time);
      this.emit({ name: 'trace truncated', cat: 'trace', ph: 'i', s: 'g', ts: us(time), pid: CONTROL_PID, tid: 0, args: { maxEvents: this.maxEvents, atSeconds: time } });
    }
    return !this.done;
  }

  /** Ends every open slice at `end`, writes the counters seen last, and detaches from the deployments. */
  private stopRecording(end: number): void {
    this.to = end;
    for (const batch of this.batches.values()) this.closeBatch(batch, end, 'unfinished');
    this.batches.clear();
    for (const track of this.pods.values()) this.closePhase(track, end);
    this.pods.clear();
    for (const track of this.deployments.values()) {
      this.flushCounters(track);
      track.deployment.tracer = null;
    }
    this.done = true;
  }

  // ----- pods -----

  private podTrack(deployment: Deployment, pod: Pod): PodTrack {
    let track = this.pods.get(pod);
    if (track === undefined) {
      const owner = this.deployments.get(deployment) as DeploymentTrack;
      track = { pod, owner, tid: (pod.id + 1) * TIDS_PER_POD, named: false, phase: null, since: 0, args: {}, resizing: false, slots: [], slotNamed: [] };
      this.pods.set(pod, track);
    }
    return track;
  }

  /** Moves the pod's thread to the phase it shows now, if that changed. */
  private enterPhase(track: PodTrack, time: number): void {
    const { pod } = track;
    const phase: Phase = pod.state === 'ready' && track.resizing ? 'resizing' : (pod.state as Phase);
    if (phase === track.phase) return;
    this.closePhase(track, time);
    track.phase = phase;
    track.since = time;
    track.args = phase === 'ready' || phase === 'resizing' ? { cores: pod.cores, variant: pod.variant.name } : { cores: pod.cores };
  }

  private closePhase(track: PodTrack, end: number): void {
    const { phase, since } = track;
    if (phase === null) return;
    track.phase = null;
    if (!this.slice(track.owner, track, track.tid, phase, 'pod', since, end, track.args) || phase !== 'starting') return;
    // Starting is container start, model load and warm-up, one after the other; the pod may have gone before it was through.
    const lifecycle = track.owner.deployment.spec.lifecycle;
    const loaded = since + lifecycle.containerStartSeconds;
    const warm = loaded + lifecycle.modelLoadSeconds;
    this.slice(track.owner, track, track.tid, 'container start', 'pod', since, Math.min(loaded, end), {});
    this.slice(track.owner, track, track.tid, 'model load', 'pod', loaded, Math.min(warm, end), {});
    this.slice(track.owner, track, track.tid, 'warm-up', 'pod', warm, end, {});
  }

  private closeBatch(batch: OpenBatch, end: number, outcome: 'terminated' | 'unfinished' | null): void {
    const { track, slot } = batch;
    if (track.slots[slot] === batch) track.slots[slot] = null;
    const args = outcome === null ? batch.args : { ...batch.args, outcome };
    this.slice(track.owner, track, track.tid + 1 + slot, `batch ${batch.args.size as number}`, 'batch', batch.start, end, args, true);
  }

  /**
   * A complete event on a thread, clipped to [from, to]; one of no length is left out, but for a
   * batch (`keepEmpty`), which is there to be counted. Whether it was written.
   */
  private slice(owner: DeploymentTrack, track: PodTrack, tid: number, name: string, cat: string, start: number, end: number, args: Args, keepEmpty = false): boolean {
    const ts = us(Math.max(start, this.from));
    const until = us(Math.min(end, this.to));
    if (until < ts || (until === ts && !keepEmpty) || start > this.to || end < this.from) return false;
    this.nameThread(owner, track, tid);
    this.emit({ name, cat, ph: 'X', ts, dur: until - ts, pid: owner.pid, tid, args });
    return true;
  }

  // ----- counters -----

  /** Notes the deployment's counters at `time`; what was noted at an earlier time is written first, if it changed. */
  private observe(track: DeploymentTrack, time: number): void {
    if (time < this.from) return;
    const at = us(time);
    if (at !== track.seenUs) this.flushCounters(track);
    const d = track.deployment;
    track.seenUs = at;
    track.seenQueue = d.queueLength();
    track.seenDesired = d.desired();
    track.seenReady = d.readyReplicaCount();
  }

  private flushCounters(track: DeploymentTrack): void {
    if (Number.isNaN(track.seenUs)) return;
    const queue = JSON.stringify({ length: track.seenQueue });
    const replicas = JSON.stringify({ desired: track.seenDesired, ready: track.seenReady });
    if (queue !== track.queueShown) {
      track.queueShown = queue;
      this.counter(track, 'queue', track.seenUs, queue);
    }
    if (replicas !== track.replicasShown) {
      track.replicasShown = replicas;
      this.counter(track, 'replicas', track.seenUs, replicas);
    }
    track.seenUs = NaN;
  }

  private counter(track: DeploymentTrack, name: string, ts: number, argsJson: string): void {
    this.nameProcess(track);
    this.line(`{"name":${JSON.stringify(name)},"cat":"counter","ph":"C","ts":${ts},"pid":${track.pid},"tid":0,"args":${argsJson}}`);
  }

  // ----- names and output -----

  private nameProcess(track: DeploymentTrack): void {
    if (track.named) return;
    track.named = true;
    this.metadata(track.pid, 0, 'process_name', `deployment ${track.deployment.name}`);
    this.metadata(track.pid, 0, 'process_sort_index', track.pid);
  }

  private nameThread(owner: DeploymentTrack, track: PodTrack, tid: number): void {
    this.nameProcess(owner);
    const lane = tid - track.tid - 1;
    if (lane < 0 ? track.named : track.slotNamed[lane]) return;
    if (lane < 0) track.named = true;
    else track.slotNamed[lane] = true;
    this.metadata(owner.pid, tid, 'thread_name', lane < 0 ? `pod ${track.pod.id}` : `pod ${track.pod.id} lane ${lane}`);
    this.metadata(owner.pid, tid, 'thread_sort_index', tid);
  }

  private metadata(pid: number, tid: number, name: string, value: string | number): void {
    this.emit({ name, ph: 'M', pid, tid, args: typeof value === 'string' ? { name: value } : { sort_index: value } });
  }

  private emit(event: Record<string, unknown>): void {
    this.line(JSON.stringify(event));
  }

  private line(json: string): void {
    this.write(this.events === 0 ? `\n${json}` : `,\n${json}`);
    this.events++;
  }
}
