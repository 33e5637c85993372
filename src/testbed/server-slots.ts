/**
 * Server processes a run may start: 16 by default. Each is an OS process holding its model, its
 * onnxruntime session and Node (measured here: about 110 MB resident for cnn-m, 130 MB for cnn-l),
 * so 16 come to about 2 GB; one-core servers are pinned round the CPUs, so past a few per core
 * they only share them. `servesim testbed run --max-servers` changes it.
 */
export const DEFAULT_MAX_SERVERS = 16;

/**
 * The cap on live server processes, shared by a run's deployments. A pod that finds every slot
 * taken waits, Pending, as a pod waits for a node with room, and starts (in order of asking) when
 * one frees; `deferred` counts those that had to wait, for the run's summary.
 */
export class ServerSlots {
  private used = 0;
  private readonly waiting: (() => boolean)[] = [];
  /** Pods that asked for a slot while none was free. */
  deferred = 0;

  constructor(readonly limit: number = DEFAULT_MAX_SERVERS) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`server slots: expected a positive integer, got ${limit}`);
  }

  /**
   * `start` runs once a slot is this caller's: now if one is free, else when one frees. It returns
   * false if it no longer wants the slot (its pod went meanwhile), and the slot passes on.
   * Returns whether it started at once.
   */
  acquire(start: () => boolean): boolean {
    if (this.used < this.limit) {
      this.used++;
      if (!start()) this.release();
      return true;
    }
    this.deferred++;
    this.waiting.push(start);
    return false;
  }

  /** A slot's process has ended for good: the next pod waiting takes it. */
  release(): void {
    this.used = Math.max(0, this.used - 1);
    while (this.used < this.limit && this.waiting.length > 0) {
      const start = this.waiting.shift() as () => boolean;
      this.used++;
      if (start()) break;
      this.used--;
    }
  }

  inUse(): number {
    return this.used;
  }
}
