import type { EventHandler } from '../engine/event-queue.js';
import type { Simulator } from '../engine/simulator.js';
import type { Pod } from './pod.js';

/**
 * The CFS bandwidth period (cpu.cfs_period_us, 100 ms by default, which the kubelet keeps unless
 * its --cpu-cfs-quota-period is set): a limited pod may use limit × period of CPU in each.
 */
export const CFS_PERIOD_SECONDS = 0.1;

/** What a finished job is handed back to. */
export interface CpuJobOwner {
  cpuJobDone(job: CpuJob): void;
}

/** Work that runs on a node's cores: a batch in service, or a background process's backlog. */
export interface CpuJob {
  /** Cores it can use at once: its runnable threads. */
  demand: number;
  /** Seconds of work left when it gets all of `demand`. */
  remaining: number;
  /** Cores it gets now (at most `demand`). */
  cores: number;
  /** When it finishes at its current speed (NaN: not scheduled; Infinity: stalled). */
  finishAt: number;
  /** The pod whose cgroup it runs in; null for a process outside the pods. */
  readonly pod: Pod | null;
  readonly owner: CpuJobOwner;
}

/** A limited pod's quota in the current period. */
interface Bandwidth {
  used: number;
  periodEnd: number;
  throttled: boolean;
  /** When the running pod will have used its quota (NaN: not expected this period). */
  exhaustAt: number;
}

const JOB_DONE = 1;
const QUOTA_USED = 2;
const PERIOD_END = 3;

/**
 * One node's cores shared by what wants to run on it (cluster `cpu: "shared"`), as the Linux
 * fair scheduler shares them in its fluid limit: when the runnable threads want more cores than
 * the node has, each pod gets a share in proportion to its weight, its CPU request (the kubelet
 * sets cpu.shares = request in millicores × 1024 / 1000), up to what it can use, the rest going to
 * the others (weighted max-min fairness); each process outside the pods weighs one core (a
 * cgroup's default 1024 shares). Within a pod its jobs split the pod's cores in proportion to
 * their threads, and a job's speed is the share of its threads it gets. A pod with a CPU limit
 * may use limit × 100 ms in each period (CFS bandwidth control); once it has, its threads wait
 * for the next period (throttled), as the kernel does, rather than running at the limit's
 * average rate. Periods lie on a grid from time 0 (the kernel starts each cgroup's timer when it
 * first runs: a documented simplification). Rates are constant between changes, so the node
 * recomputes them at each start, finish and throttle and moves only the finish times that changed.
 */
export class NodeCpu implements EventHandler, CpuJobOwner {
  private readonly jobs: CpuJob[] = [];
  private readonly bandwidth = new Map<Pod, Bandwidth>();
  private lastUpdate = 0;
  /** Pods with work on the cores at the last reallocation. */
  private busyPods = new Set<Pod>();
  /** Single-threaded processes outside the pods (a load generator, a controller), each one job while it has work. */
  private readonly agents = new Map<string, CpuJob>();

  constructor(
    private readonly sim: Simulator,
    readonly name: string,
    private readonly cores: number,
    /** Cores kept busy by system daemons all the time. */
    private readonly backgroundCores: number,
  ) {}

  /** Starts a job (its `demand` and `remaining` set). */
  start(job: CpuJob): void {
    this.advance();
    job.cores = 0;
    job.finishAt = NaN;
    this.jobs.push(job);
    this.reallocate();
  }

  /** Takes a job off the cores before it finishes (its pod was killed); its owner is not called. */
  cancel(job: CpuJob): void {
    const i = this.jobs.indexOf(job);
    if (i < 0) return;
    this.advance();
    this.remove(i);
    this.reallocate();
  }

  /** Adds `seconds` of single-threaded work to the named process outside the pods (it works through its backlog in order). */
  charge(agent: string, seconds: number): void {
    if (!(seconds > 0)) return;
    const job = this.agents.get(agent);
    if (job !== undefined && this.jobs.includes(job)) {
      this.advance();
      job.remaining += seconds;
      job.finishAt = NaN;
      this.reallocate();
      return;
    }
    const fresh: CpuJob = job ?? { demand: 1, remaining: 0, cores: 0, finishAt: NaN, pod: null, owner: this };
    this.agents.set(agent, fresh);
    fresh.remaining = seconds;
    this.start(fresh);
  }

  /** A pod left the node: its quota bookkeeping goes. */
  forget(pod: Pod): void {
    this.bandwidth.delete(pod);
  }

  cpuJobDone(): void {
    // A background process's backlog is done: nothing waits for it.
  }

  handleEvent(tag: number, data: unknown): void {
    if (tag === JOB_DONE) {
      const job = data as CpuJob;
      if (job.finishAt !== this.sim.now) return; // moved since, or cancelled
      this.advance();
      this.remove(this.jobs.indexOf(job));
      job.remaining = 0;
      this.reallocate();
      job.owner.cpuJobDone(job);
      return;
    }
    const pod = data as Pod;
    const quota = this.bandwidth.get(pod);
    if (quota === undefined) return;
    this.advance();
    if (tag === QUOTA_USED) {
      if (quota.exhaustAt !== this.sim.now) return;
      quota.throttled = true;
      quota.used = quotaOf(pod);
      quota.exhaustAt = NaN;
      this.sim.post(quota.periodEnd, this, PERIOD_END, pod);
    } else {
      if (!quota.throttled || quota.periodEnd !== this.sim.now) return;
      quota.throttled = false;
      quota.used = 0;
      quota.periodEnd += CFS_PERIOD_SECONDS;
    }
    this.reallocate();
  }

  private remove(i: number): void {
    const job = this.jobs[i];
    const last = this.jobs.pop() as CpuJob;
    if (i < this.jobs.length) this.jobs[i] = last;
    job.cores = 0;
    job.finishAt = NaN;
  }

  /** Brings every job's remaining work and every limited pod's quota up to now at the rates in force since the last change. */
  private advance(): void {
    const now = this.sim.now;
    const dt = now - this.lastUpdate;
    this.lastUpdate = now;
    if (dt <= 0) return;
    for (const job of this.jobs) if (job.cores > 0) job.remaining = Math.max(0, job.remaining - (dt * job.cores) / job.demand);
    for (const [pod, quota] of this.bandwidth) {
      if (quota.throttled) continue;
      const using = podCores(this.jobs, pod);
      if (now >= quota.periodEnd) {
        // A new period began since: only the time after its start counts against the new quota.
        const start = quota.periodEnd + Math.floor((now - quota.periodEnd) / CFS_PERIOD_SECONDS) * CFS_PERIOD_SECONDS;
        quota.periodEnd = start + CFS_PERIOD_SECONDS;
        quota.used = using * (now - start);
      } else quota.used += using * dt;
    }
  }

  /** Shares the cores out afresh and moves the finish (and quota) events that changed. */
  private reallocate(): void {
    const now = this.sim.now;
    // Each pod's runnable threads: what it claims, and what its jobs split its share by.
    const demands = new Map<Pod, number>();
    for (const job of this.jobs) if (job.pod !== null) demands.set(job.pod, (demands.get(job.pod) ?? 0) + job.demand);
    const shares = this.shares(demands);
    for (const job of this.jobs) {
      const cores = job.pod === null ? Math.min(job.demand, shares.get(job) as number) : ((shares.get(job.pod) as number) * job.demand) / (demands.get(job.pod) || 1);
      if (cores === job.cores && !Number.isNaN(job.finishAt)) continue;
      job.cores = cores;
      job.finishAt = cores > 0 ? now + (job.remaining * job.demand) / cores : Infinity;
      if (job.finishAt < Infinity) this.sim.post(job.finishAt, this, JOB_DONE, job);
    }
    const busy = new Set(demands.keys());
    for (const pod of busy) {
      pod.useCores(now, shares.get(pod) as number);
      this.scheduleQuota(pod, shares.get(pod) as number);
    }
    for (const pod of this.busyPods) {
      if (busy.has(pod)) continue;
      pod.useCores(now, 0);
      const quota = this.bandwidth.get(pod);
      if (quota !== undefined) quota.exhaustAt = NaN;
    }
    this.busyPods = busy;
  }

  /** When a limited pod using `cores` will have used its quota, at a constant rate. */
  private scheduleQuota(pod: Pod, cores: number): void {
    if (pod.cpuLimitPerRequest === Infinity) return;
    const now = this.sim.now;
    let quota = this.bandwidth.get(pod);
    if (quota === undefined) {
      quota = { used: 0, periodEnd: (Math.floor(now / CFS_PERIOD_SECONDS) + 1) * CFS_PERIOD_SECONDS, throttled: false, exhaustAt: NaN };
      this.bandwidth.set(pod, quota);
    }
    if (quota.throttled) return;
    const limit = quotaOf(pod);
    let at = NaN;
    if (cores > 0) {
      const inThisPeriod = now + (limit - quota.used) / cores;
      if (inThisPeriod < quota.periodEnd) at = inThisPeriod;
      else if (limit / cores < CFS_PERIOD_SECONDS) at = quota.periodEnd + limit / cores;
    }
    if (at === quota.exhaustAt) return;
    quota.exhaustAt = at;
    if (!Number.isNaN(at)) this.sim.post(at, this, QUOTA_USED, pod);
  }

  /**
   * Weighted max-min fair shares of the node's cores: each claimant (a pod, a process outside the
   * pods, the daemons) gets its demand if the cores allow, else cores in proportion to its weight,
   * and what a claimant cannot use goes to the others.
   */
  private shares(podDemands: ReadonlyMap<Pod, number>): Map<Pod | CpuJob | 'daemons', number> {
    const claims: { key: Pod | CpuJob | 'daemons'; demand: number; weight: number }[] = [];
    if (this.backgroundCores > 0) claims.push({ key: 'daemons', demand: this.backgroundCores, weight: this.backgroundCores });
    for (const job of this.jobs) if (job.pod === null) claims.push({ key: job, demand: job.demand, weight: 1 });
    for (const [pod, demand] of podDemands) claims.push({ key: pod, demand: this.bandwidth.get(pod)?.throttled === true ? 0 : demand, weight: pod.cores });
    claims.sort((a, b) => a.demand / a.weight - b.demand / b.weight);
    const out = new Map<Pod | CpuJob | 'daemons', number>();
    let left = this.cores;
    let weight = claims.reduce((sum, c) => sum + c.weight, 0);
    for (const claim of claims) {
      const fair = (left * claim.weight) / weight;
      const got = Math.min(claim.demand, fair);
      out.set(claim.key, got);
      left -= got;
      weight -= claim.weight;
    }
    return out;
  }
}

const quotaOf = (pod: Pod) => pod.cores * pod.cpuLimitPerRequest * CFS_PERIOD_SECONDS;

function podCores(jobs: readonly CpuJob[], pod: Pod): number {
  let sum = 0;
  for (const job of jobs) if (job.pod === pod) sum += job.cores;
  return sum;
}
