import { readFileSync } from 'node:fs';
import type { DeploymentObservation, PodObservation } from '../policies/types.js';
import { startServer, type RunningServer, type ServerOptions } from './server-process.js';

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

interface RealPod {
  id: number;
  cores: number;
  startTime: number;
  readyTime: number | null;
  server: RunningServer | null;
  /** CPU seconds the server had used when it became ready: the first sample's baseline. */
  readyCpu: number;
  terminating: boolean;
  served: number;
  /** The latest sample; usage is null where /proc could not be read. */
  sample: { usage: number | null; rps: number; time: number; cpu: number; served: number } | null;
}

/**
 * A deployment made of real model-server processes: what the simulated Deployment is to the
 * simulator. It carries out the same actions (scale, resize by recreate or rolling update) by
 * starting and stopping processes, and reports pods as a controller sees them, with CPU usage
 * sampled from /proc like metrics-server samples cgroups.
 */
export class RealDeployment {
  private readonly pods: RealPod[] = [];
  private readonly starting = new Set<Promise<unknown>>();
  private nextId = 0;
  /** Servers that died on their own and were replaced. */
  restarts = 0;
  private turn = 0;
  private desired = 0;
  private cores: number;

  constructor(
    readonly name: string,
    private readonly server: Omit<ServerOptions, 'cores' | 'cpus'>,
    cores: number,
    private readonly now: () => number,
    private readonly cpuCount: number,
  ) {
    this.cores = cores;
  }

  /** A ready server's port, round-robin; null while none is ready. */
  pick(): number | null {
    const ready = this.pods.filter((p) => p.server !== null && !p.terminating);
    if (ready.length === 0) return null;
    return (ready[this.turn++ % ready.length].server as RunningServer).port;
  }

  served(port: number): void {
    const pod = this.pods.find((p) => p.server?.port === port);
    if (pod) pod.served++;
  }

  private start(): void {
    const pod: RealPod = { id: this.nextId++, cores: this.cores, startTime: this.now(), readyTime: null, server: null, readyCpu: NaN, terminating: false, served: 0, sample: null };
    this.pods.push(pod);
    const cpus = pod.cores === 1 ? String(this.cpuCount - 1 - (pod.id % this.cpuCount)) : undefined;
    const started = startServer({ ...this.server, cores: pod.cores, cpus }).then(
      (server) => {
        if (pod.terminating) return server.stop();
        pod.server = server;
        pod.readyTime = this.now();
        pod.readyCpu = cpuSeconds(server.pid);
        // A server that dies on its own is replaced, as the kubelet restarts a crashed container;
        // the requests it held fail at the load generator and are counted as dropped.
        void server.exited.then(() => {
          if (pod.terminating) return;
          this.remove(pod);
          this.restarts++;
          this.start();
        });
        this.retireOutdated();
      },
      () => this.remove(pod),
    );
    this.starting.add(started);
    void started.finally(() => this.starting.delete(started));
  }

  private stop(pod: RealPod): void {
    pod.terminating = true;
    const server = pod.server;
    // Requests already sent finish before the process goes (a graceful drain).
    setTimeout(() => void server?.stop().then(() => this.remove(pod)), 1000);
    if (server === null) this.remove(pod);
  }

  private remove(pod: RealPod): void {
    const i = this.pods.indexOf(pod);
    if (i >= 0) this.pods.splice(i, 1);
  }

  /** Make-before-break: once pods of the current size are ready, older ones go. */
  private retireOutdated(): void {
    const current = this.pods.filter((p) => !p.terminating && p.cores === this.cores);
    if (current.filter((p) => p.server !== null).length < Math.min(this.desired, current.length)) return;
    for (const pod of this.pods) if (!pod.terminating && pod.cores !== this.cores && pod.server !== null) this.stop(pod);
  }

  scaleTo(replicas: number): void {
    this.desired = replicas;
    const current = this.pods.filter((p) => !p.terminating && p.cores === this.cores);
    for (let n = current.length; n < replicas; n++) this.start();
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

  resize(cores: number, strategy: 'recreate' | 'rolling'): void {
    if (cores === this.cores) return;
    this.cores = cores;
    if (strategy === 'recreate') for (const pod of this.pods) if (!pod.terminating) this.stop(pod);
    this.scaleTo(this.desired);
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
      pod.sample = { usage, rps: (pod.served - previous.served) / (now - previous.time), time: now, cpu, served: pod.served };
    }
  }

  observe(): DeploymentObservation {
    const pods = this.pods.map(
      (p): PodObservation => ({
        id: p.id,
        phase: p.terminating ? 'Terminating' : 'Running',
        ready: p.server !== null && !p.terminating,
        startTime: p.startTime,
        readyTime: p.readyTime,
        cpuRequestCores: p.cores,
        cpuUsageCores: p.sample?.usage ?? null,
        metricTime: p.sample?.usage === null || p.sample === null ? null : p.sample.time,
        requestsPerSecond: p.sample?.rps ?? null,
      }),
    );
    return {
      name: this.name,
      replicas: this.desired,
      readyReplicas: pods.filter((p) => p.ready).length,
      coresPerReplica: this.cores,
      variant: this.name,
      accuracy: null,
      pods,
      queueLength: 0,
    };
  }

  /** Cores held by live servers (starting, ready or draining). */
  allocatedCores(): number {
    return this.pods.reduce((sum, p) => sum + p.cores, 0);
  }

  async stopAll(): Promise<void> {
    for (const pod of this.pods) pod.terminating = true;
    await this.settled();
    await Promise.all(this.pods.map((p) => p.server?.stop()));
    this.pods.length = 0;
  }
}
