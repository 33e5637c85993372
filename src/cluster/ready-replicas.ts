/** A replica the index can find again: its slot among the ready ones (-1: not ready when last indexed). */
export interface IndexedReplica {
  routeSlot: number;
}

/**
 * A deployment's ready replicas in its own order (oldest first), kept so that routing a request
 * costs O(1) (round-robin, random) or O(log n) (least outstanding) instead of a scan over every
 * pod: with 10,000 replicas the scan was the whole cost of a run. It picks exactly what
 * `pickReplica`'s scan picks. The list is rebuilt lazily after the ready set changes (rare: pod
 * start-up and shutdown); least-outstanding keeps a tournament tree over the ready slots whose
 * root is the replica with the fewest outstanding requests, the oldest on a tie, updated in
 * O(log n) when `changed` reports that a replica's count moved.
 */
export class ReadyReplicas<T extends IndexedReplica> {
  private ready: T[] = [];
  private stale = true;
  /** Leaves of the tree: a power of two ≥ the ready count. */
  private leaves = 1;
  /** Outstanding requests per slot (Infinity past the last ready one). */
  private load = new Float64Array(1);
  /** Node k's winning slot; children 2k and 2k + 1, leaves at `leaves` … 2·leaves − 1. */
  private winner = new Int32Array(2);

  constructor(
    private readonly replicas: readonly T[],
    private readonly isReady: (r: T) => boolean,
    private readonly outstanding: (r: T) => number,
    /** Keep the tree (least-outstanding routing); otherwise only the ready list. */
    private readonly tracksLoad: boolean,
  ) {}

  /** A replica became ready or stopped being ready. */
  invalidate(): void {
    this.stale = true;
  }

  /** A ready replica's outstanding count may have changed. */
  changed(r: T): void {
    const slot = r.routeSlot;
    if (this.stale || !this.tracksLoad || slot < 0) return;
    this.load[slot] = this.outstanding(r);
    const winner = this.winner;
    for (let k = (this.leaves + slot) >> 1; k >= 1; k >>= 1) {
      const next = this.better(winner[2 * k], winner[2 * k + 1]);
      // Above a node whose winner is another slot and stays so, nothing this slot holds is compared.
      if (next === winner[k] && next !== slot) return;
      winner[k] = next;
    }
  }

  count(): number {
    if (this.stale) this.rebuild();
    return this.ready.length;
  }

  /** The k-th ready replica, oldest first (0 ≤ k < count()). */
  at(k: number): T {
    return this.ready[k];
  }

  /** The ready replica with the fewest outstanding requests, the oldest on a tie; null when none is ready. */
  least(): T | null {
    if (this.count() === 0) return null;
    return this.ready[this.winner[1]];
  }

  private better(a: number, b: number): number {
    return this.load[a] <= this.load[b] ? a : b;
  }

  private rebuild(): void {
    this.stale = false;
    for (const r of this.ready) r.routeSlot = -1;
    this.ready = this.replicas.filter(this.isReady);
    this.ready.forEach((r, slot) => (r.routeSlot = slot));
    if (!this.tracksLoad) return;
    let leaves = 1;
    while (leaves < this.ready.length) leaves *= 2;
    if (leaves !== this.leaves || this.load.length < leaves) {
      this.leaves = leaves;
      this.load = new Float64Array(leaves);
      this.winner = new Int32Array(2 * leaves);
    }
    for (let slot = 0; slot < leaves; slot++) {
      this.load[slot] = slot < this.ready.length ? this.outstanding(this.ready[slot]) : Infinity;
      this.winner[leaves + slot] = slot;
    }
    for (let k = leaves - 1; k >= 1; k--) this.winner[k] = this.better(this.winner[2 * k], this.winner[2 * k + 1]);
  }
}
