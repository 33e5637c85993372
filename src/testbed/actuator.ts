import { readFileSync } from 'node:fs';
import { RandomStreams, type Uniform } from '../engine/random.js';
import type { DeploymentObservation, PodObservation } from '../control/types.js';
import { pickReplica, type ReplicaRouter } from '../cluster/router.js';
import { CrashLoopBackOff, type CrashBackOffOptions } from './crash-backoff.js';
import { startServer, type RunningServer, type ServerOptions } from './server-process.js';
import { ServerSlots } from './server-slots.js';

/** Linux reports process CPU time in clock ticks of 1/100 s. */
const TICKS_PER_SECOND = 100;

/** CPU seconds a process has used (user + system), from /proc; NaN where that is not readable. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** What a deployment's servers start with, apart from their cores and CPUs: model file, input size, batching, queue bound. */
export type ServerTemplate = Omit<ServerOptions, 'cores' | 'cpus'>;

export interface DeploymentOptions {
  /** The model variant the servers run, as observations report it; default: the deployment's name. */
  variant?: string;
  /** Accuracy of the variant, as observations report it; default: unknown (null). */
  accuracy?: number | null;
  /** How a request picks a ready server; default round-robin, the deployment schema's default. */
  router?: ReplicaRouter;
  /** The random router's draws; default the stream `route:<name>` of seed 1, the spec's default seed. */
  uniform?: Uniform;
  /**
   * Numbers the servers as they start, for pinning one-core servers round the CPUs from the last;
   * shared by a run's deployments so that their servers spread. Default: this deployment's pod ids.
   */
  pinTurn?: () => number;
  /** The cap on server processes, shared by a run's deployments; default this deployment's own, of DEFAULT_MAX_SERVERS. */
  slots?: ServerSlots;
  /** The crash back-off's scale; default the kubelet's (10 s doubling to 5 min, crash-backoff.ts). */
  crashBackOff?: CrashBackOffOptions;
}

interface RealPod {
  id: number;
  cores: number;
  variant: string;
  /** What its server starts with (and restarts with after a crash): the template when the pod was made. */
  template: ServerTemplate;
  /** The batching the server runs with (set at start-up, changed through its endpoint). */
  batching: { maxBatch: number; maxWaitMs: number };
  startTime: number;
  readyTime: number | null;
  server: RunningServer | null;
  /** Whether it holds one of the run's server slots (else it waits for one, Pending). */
  holdsSlot: boolean;
  /** Whether its server process is starting. */
  launching: boolean;
  /** Its server's restarts after crashes, paced as the kubelet paces a container's. */
  backOff: CrashLoopBackOff;
  /** A restart waiting out its back-off, or the drain before a stop. */
  timer: NodeJS.Timeout | null;
  /** CPU seconds the server had used when it became ready: the first sample's baseline. */
  readyCpu: number;
  terminating: boolean;
  served: number;
  /** Requests sent to it and not yet answered (what the least-outstanding router compares). */
  outstanding: number;
  /** The latest sample; usage is null where /proc could not be read. */
  sample: { usage: number | null; rps: number; time: number; window: number; cpu: number; served: number } | null;
  /** The CPU a one-core server is pinned to (its turn round the CPUs, from the last). */
  pinnedCpu: number;
}

const isServing = (pod: RealPod) => pod.server !== null && !pod.terminating;
const serverOutstanding = (pod: RealPod) => pod.outstanding;

/** Seconds a stopped server keeps serving what was already sent to it before it is sent SIGTERM. */
const DRAIN_SECONDS = 1;

/** The back-off's clock: monotonic, whatever the run's clock does when the load starts. */
const monotonicSeconds = () => performance.now() / 1000;

/**
 * A deployment made of real model-server processes: what the simulated Deployment is to the
 * simulator. It carries out the same actions (scale; resize and replace by recreate or rolling
 * update; template cores; eviction; batching) by starting and stopping processes, routes requests
 * to its ready servers by the deployment's router, and reports pods as a controller sees them,
 * with CPU usage sampled from /proc like metrics-server samples cgroups. A server that crashes is
 * restarted in its pod with the kubelet's back-off; a pod past the run's cap on server processes
 * waits, Pending, for a slot.
 */
export class RealDeployment {
  private readonly pods: RealPod[] = [];
  private readonly starting = new Set<Promise<unknown>>();
  private nextId = 0;
  /** Servers that died on their own (crashed, or failed to start) and were restarted or are waiting to be. */
  restarts = 0;
  /** Replicas asked for past the cap on server processes, never made (a deployment has at most the cap's pods). */
  refused = 0;
  /** Why the latest server failed to start, if one did. */
  lastStartError: Error | null = null;
  /**
   * Milliseconds from each in-place resize asked to its server running on the new cores: the
   * control request, the switch of session (made and warmed up the first time a thread count is
   * asked for) and the re-pinning of its threads.
   */
  readonly resizeMs: number[] = [];
  private turn = 0;
  private desired = 0;
  private cores: number;
  private variant: string;
  private readonly accuracy: number | null;
  private readonly router: ReplicaRouter;
  private readonly uniform: Uniform;
  private readonly pinTurn: (() => number) | undefined;
  readonly slots: ServerSlots;
  private readonly crashBackOff: CrashBackOffOptions | undefined;

  constructor(
    readonly name: string,
    private server: ServerTemplate,
    cores: number,
    private readonly now: () => number,
    private readonly cpuCount: number,
    options: DeploymentOptions = {},
  ) {
    this.cores = cores;
    this.variant = options.variant ?? name;
    this.accuracy = options.accuracy ?? null;
    this.router = options.router ?? 'round-robin';
    this.uniform = options.uniform ?? new RandomStreams(1).uniform(`route:${name}`);
    this.pinTurn = options.pinTurn;
    this.slots = options.slots ?? new ServerSlots();
    this.crashBackOff = options.crashBackOff;
  }

  private ready(): RealPod[] {
    return this.pods.filter((p) => p.server !== null && !p.terminating);
  }

  /** A ready server's port, picked by the deployment's router; null while none is ready. */
  pick(): number | null {
    const pod = pickReplica(this.router, this.pods, isServing, serverOutstanding, this.turn++, this.uniform);
    if (pod === null) return null;
    pod.outstanding++;
    return (pod.server as RunningServer).port;
  }

  /** The server on `port` answered a request (ok) or failed it. */
  finished(port: number, ok: boolean): void {
    const pod = this.pods.find((p) => p.server?.port === port);
    if (pod === undefined) return;
    pod.outstanding = Math.max(0, pod.outstanding - 1);
    if (ok) pod.served++;
  }

  readyCount(): number {
    return this.ready().length;
  }

  /** Requests sent to this deployment's servers and not yet answered. */
  inFlight(): number {
    return this.pods.reduce((sum, p) => sum + p.outstanding, 0);
  }

  /** Servers of the current template (cores and variant); the others are on their way out. */
  private isCurrent(pod: RealPod): boolean {
    return pod.cores === this.cores && pod.variant === this.variant;
  }

  /** A new pod of the current template; it starts its server once it has a slot. */
  private start(): void {
    const { maxBatch, maxWaitMs } = this.server;
    const pod: RealPod = {
      id: this.nextId++,
      cores: this.cores,
      variant: this.variant,
      template: this.server,
      batching: { maxBatch, maxWaitMs },
      startTime: this.now(),
      readyTime: null,
      server: null,
      holdsSlot: false,
      launching: false,
      backOff: new CrashLoopBackOff(this.crashBackOff),
      timer: null,
      readyCpu: NaN,
      terminating: false,
      served: 0,
      outstanding: 0,
      sample: null,
      pinnedCpu: 0,
    };
    this.pods.push(pod);
    this.slots.acquire(() => {
      if (pod.terminating) return false;
      pod.holdsSlot = true;
      this.launch(pod);
      return true;
    });
  }

  /** Starts the pod's server process (again, after a crash). */
  private launch(pod: RealPod): void {
    const turn = this.pinTurn?.() ?? pod.id;
    pod.pinnedCpu = this.cpuCount - 1 - (turn % this.cpuCount);
    const cpus = pod.cores === 1 ? String(pod.pinnedCpu) : undefined;
    // A restarted server takes the batching in force now, which running servers were given too.
    const { maxBatch, maxWaitMs } = this.server;
    pod.batching = { maxBatch, maxWaitMs };
    pod.launching = true;
    const launchedCores = pod.cores;
    const started = startServer({ ...pod.template, maxBatch, maxWaitMs, cores: pod.cores, cpus }).then(
      (server) => {
        pod.launching = false;
        if (pod.terminating) return server.stop().then(() => this.release(pod));
        pod.server = server;
        pod.readyTime = this.now();
        pod.readyCpu = cpuSeconds(server.pid);
        // A batching change, or an in-place resize, made while it was starting reaches it now.
        void this.applyBatching(pod);
        if (pod.cores !== launchedCores) this.resizeInPlace(pod);
        // A server that dies on its own is restarted in its pod, as the kubelet restarts a crashed
        // container; the requests it held fail at the load generator and are counted as dropped.
        void server.exited.then(() => {
          if (!pod.terminating) this.crashed(pod);
        });
        this.retireOutdated();
      },
      (error: unknown) => {
        pod.launching = false;
        this.lastStartError = error instanceof Error ? error : new Error(String(error));
        if (pod.terminating) this.release(pod);
        else this.crashed(pod);
      },
    );
    this.starting.add(started);
    void started.finally(() => this.starting.delete(started));
  }

  /** The pod's server ended on its own (or never started): restart it after its back-off. */
  private crashed(pod: RealPod): void {
    this.restarts++;
    pod.server = null;
    pod.readyTime = null;
    pod.sample = null;
    pod.outstanding = 0;
    const delay = pod.backOff.delayAfterCrash(monotonicSeconds());
    if (delay === 0) return this.launch(pod);
    pod.timer = setTimeout(() => {
      pod.timer = null;
      if (!pod.terminating) this.launch(pod);
    }, delay * 1000);
  }

  private stop(pod: RealPod): void {
    pod.terminating = true;
    if (pod.timer !== null) clearTimeout(pod.timer);
    pod.timer = null;
    const server = pod.server;
    if (server === null) {
      // Pending, backing off, or starting (its server stops once up, and frees its slot then).
      this.remove(pod);
      if (!pod.launching) this.release(pod);
      return;
    }
    // Requests already sent finish before the process goes (a graceful drain).
    pod.timer = setTimeout(() => {
      pod.timer = null;
      void server.stop().then(() => {
        this.remove(pod);
        this.release(pod);
      });
    }, DRAIN_SECONDS * 1000);
  }

  private remove(pod: RealPod): void {
    const i = this.pods.indexOf(pod);
    if (i >= 0) this.pods.splice(i, 1);
  }

  /** The pod's process has ended for good: its slot goes to the next pod waiting. */
  private release(pod: RealPod): void {
    this.remove(pod);
    if (!pod.holdsSlot) return;
    pod.holdsSlot = false;
    this.slots.release();
  }

  /** Make-before-break: once servers of the current template are ready, older ones go. */
  private retireOutdated(): void {
    const current = this.pods.filter((p) => !p.terminating && this.isCurrent(p));
    const outdated = this.pods.filter((p) => !p.terminating && !this.isCurrent(p) && p.server !== null);
    if (outdated.length === 0) return;
    if (current.filter((p) => p.server !== null).length >= Math.min(this.desired, current.length)) {
      for (const pod of outdated) this.stop(pod);
      return;
    }
    // New pods waiting for a slot that old ones hold would wait for ever: the old ones give way
    // one at a time, as a rolling update with no room to surge takes an old pod down first.
    const freeing = this.pods.some((p) => p.terminating && p.holdsSlot);
    if (!freeing && current.some((p) => !p.holdsSlot)) this.stop(outdated[0]);
  }

  /**
   * Replicas past the cap on server processes are refused (a deployment cannot run more than the
   * cap); each replica asked for above it counts once in `refused`.
   */
  scaleTo(replicas: number): void {
    const limit = this.slots.limit;
    this.refused += Math.max(0, Math.max(0, replicas - limit) - Math.max(0, this.desired - limit));
    this.desired = replicas;
    const current = this.pods.filter((p) => !p.terminating && this.isCurrent(p));
    for (let n = current.length; n < Math.min(replicas, limit); n++) this.start();
    const extra = current.sort((a, b) => Number(a.server !== null) - Number(b.server !== null) || b.startTime - a.startTime).slice(0, Math.max(0, current.length - replicas));
    for (const pod of extra) this.stop(pod);
  }

  /** Cores for the servers started from now on (VPA's admission controller). */
  setTemplateCores(cores: number): void {
    this.cores = cores;
  }

  /** Stops one server and starts its replacement from the current template. */
  evict(id: number): void {
    const pod = this.pods.find((p) => p.id === id && !p.terminating);
    if (pod === undefined) return;
    this.stop(pod);
    this.start();
  }

  /** Waits until the servers asked for so far are up (or failed). */
  async settled(): Promise<void> {
    while (this.starting.size > 0) await Promise.all([...this.starting]);
  }

  /**
   * Servers of the current template replace the others. Recreate: the old ones stop first.
   * Rolling (make-before-break): old servers still starting stop at once, as in the simulator;
   * ready ones serve until enough new ones are ready.
   */
  private rollOut(strategy: 'recreate' | 'rolling'): void {
    for (const pod of [...this.pods]) {
      if (pod.terminating || this.isCurrent(pod)) continue;
      if (strategy === 'recreate' || pod.server === null) this.stop(pod);
    }
    this.scaleTo(this.desired);
    this.retireOutdated();
  }

  resize(cores: number, strategy: 'recreate' | 'rolling' | 'in-place'): void {
    if (cores === this.cores) return;
    this.cores = cores;
    if (strategy !== 'in-place') return this.rollOut(strategy);
    // In place: each running server switches to `cores` threads without a restart (a starting one
    // starts on them), and its threads are re-pinned: to its own CPU at one core, else to all.
    for (const pod of this.pods) {
      if (pod.terminating) continue;
      pod.cores = cores;
      this.resizeInPlace(pod);
    }
  }

  /** Switches a running server to its pod's cores; a server that dies meanwhile is restarted on them. */
  private resizeInPlace(pod: RealPod): void {
    if (pod.server === null) return;
    const cpus = pod.cores === 1 ? String(pod.pinnedCpu) : `0-${this.cpuCount - 1}`;
    const asked = performance.now();
    void pod.server.setCores(pod.cores, cpus).then(
      () => this.resizeMs.push(performance.now() - asked),
      () => {},
    );
  }

  /** Servers of another model variant (its file and input size) replace the running ones. */
  replace(variant: string, model: Pick<ServerTemplate, 'model' | 'imageSize'>, strategy: 'recreate' | 'rolling'): void {
    if (variant === this.variant) return;
    this.variant = variant;
    this.server = { ...this.server, model: model.model, imageSize: model.imageSize };
    this.rollOut(strategy);
  }

  /**
   * New batching for every server: running ones change it through their loopback endpoint (at
   * once, as the simulated batcher does, and without the restarts a rolling update would add);
   * servers started from now on get it at start-up. Settles when the running servers have it.
   */
  async setBatching(maxBatch: number, maxWaitMs: number): Promise<void> {
    this.server = { ...this.server, maxBatch, maxWaitMs };
    await Promise.all(this.pods.filter((p) => p.server !== null).map((p) => this.applyBatching(p)));
  }

  private async applyBatching(pod: RealPod): Promise<void> {
    const { maxBatch, maxWaitMs } = this.server;
    if (pod.server === null || (pod.batching.maxBatch === maxBatch && pod.batching.maxWaitMs === maxWaitMs)) return;
    pod.batching = { maxBatch, maxWaitMs };
    // A server that died meanwhile is restarted with the new batching.
    await pod.server.setBatching(maxBatch, maxWaitMs).catch(() => {});
  }

  /** metrics-server: CPU usage and completions per second of each running server since the last sample. */
  scrape(): void {
    const now = this.now();
    for (const pod of this.pods) {
      if (pod.server === null) continue;
      const cpu = cpuSeconds(pod.server.pid);
      const previous = pod.sample ?? { time: pod.readyTime as number, cpu: pod.readyCpu, served: 0 };
      if (now <= previous.time) continue;
      const usage = Number.isNaN(previous.cpu) || Number.isNaN(cpu) ? null : (cpu - previous.cpu) / (now - previous.time);
      pod.sample = { usage, rps: (pod.served - previous.served) / (now - previous.time), time: now, window: now - previous.time, cpu, served: pod.served };
    }
  }

  observe(): DeploymentObservation {
    const pods = this.pods.map(
      (p): PodObservation => ({
        id: p.id,
        phase: p.terminating ? 'Terminating' : p.holdsSlot ? 'Running' : 'Pending',
        ready: p.server !== null && !p.terminating,
        startTime: p.startTime,
        readyTime: p.readyTime,
        cpuRequestCores: p.cores,
        cpuUsageCores: p.sample?.usage ?? null,
        metricTime: p.sample?.usage === null || p.sample === null ? null : p.sample.time,
        metricWindowSeconds: p.sample?.usage === null || p.sample === null ? null : p.sample.window,
        requestsPerSecond: p.sample?.rps ?? null,
      }),
    );
    return {
      name: this.name,
      replicas: this.desired,
      readyReplicas: pods.filter((p) => p.ready).length,
      coresPerReplica: this.cores,
      variant: this.variant,
      accuracy: this.accuracy,
      pods,
      queueLength: 0,
      // Requests sent to its servers and not answered; with no ready server a request fails at
      // once (src/testbed/real-stage.ts), so nothing waits for a pod as in a central queue.
      inFlight: this.inFlight(),
    };
  }

  /** Cores held by pods with a server slot (starting, ready, backing off or draining); Pending ones hold none. */
  allocatedCores(): number {
    return this.pods.reduce((sum, p) => sum + (p.holdsSlot ? p.cores : 0), 0);
  }

  /** Stops every server (SIGTERM, then SIGKILL after the grace period) and cancels pending restarts and drains. */
  async stopAll(): Promise<void> {
    for (const pod of this.pods) {
      pod.terminating = true;
      if (pod.timer !== null) clearTimeout(pod.timer);
      pod.timer = null;
    }
    await this.settled();
    await Promise.all(
      [...this.pods].map(async (pod) => {
        await pod.server?.stop();
        this.release(pod);
      }),
    );
    this.pods.length = 0;
  }
}
