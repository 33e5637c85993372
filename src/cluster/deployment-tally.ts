/**
 * A deployment's counts that the metrics integrate over time, and their integrals from 0.
 * Call `advance(now)` before changing a count, so that the time since the last change is
 * integrated at the old value; a reader adds the stretch since then itself.
 */
export class DeploymentTally {
  /** Lanes serving a batch. */
  busyLanes = 0;
  /** Lanes of ready pods that take work (retired ones excluded). */
  readyLanes = 0;
  /** Cores held on nodes (starting, ready and terminating pods). */
  allocatedCores = 0;
  /** Requests waiting, not in service, over all the deployment's queues. */
  queued = 0;
  private lastChange = 0;
  private busyArea = 0;
  private laneArea = 0;
  private coreArea = 0;
  private queueArea = 0;

  advance(now: number): void {
    const elapsed = now - this.lastChange;
    if (elapsed === 0) return;
    this.busyArea += this.busyLanes * elapsed;
    this.laneArea += this.readyLanes * elapsed;
    this.coreArea += this.allocatedCores * elapsed;
    this.queueArea += this.queued * elapsed;
    this.lastChange = now;
  }

  /** ∫ allocated cores dt from 0 to `now`. */
  coreSeconds(now: number): number {
    return this.coreArea + this.allocatedCores * (now - this.lastChange);
  }

  /** ∫ busy lanes dt from 0 to `now`. */
  busySeconds(now: number): number {
    return this.busyArea + this.busyLanes * (now - this.lastChange);
  }

  /** ∫ ready lanes dt from 0 to `now`. */
  laneSeconds(now: number): number {
    return this.laneArea + this.readyLanes * (now - this.lastChange);
  }

  /** ∫ queue length dt from 0 to `now`. */
  queueSeconds(now: number): number {
    return this.queueArea + this.queued * (now - this.lastChange);
  }
}
