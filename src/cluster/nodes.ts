import type { Simulator } from '../engine/simulator.js';
import { NodeCpu } from './node-cpu.js';
import type { ClusterSpec, NodePoolSpec } from './schema.js';

/** What a pod asks of a node. */
export interface ResourceRequest {
  cores: number;
  memoryGiB: number;
  gpus: number;
  /** The GPU model the pod needs, if any. */
  gpuType?: string;
  /** The pod may use more CPU than it requests (no CPU limit, or one above the request). */
  burstable?: boolean;
}

/** A pod that needs GPUs of a named model fits only on nodes of that model; one that needs none, anywhere. */
const gpuTypeMatches = (r: ResourceRequest, nodeGpuType: string | undefined) => r.gpuType === undefined || r.gpus === 0 || r.gpuType === nodeGpuType;

/** One node: its capacity and what placed pods hold of it (`cores`: what the scheduler may place, its allocatable). */
export class Node {
  usedCores = 0;
  usedMemoryGiB = 0;
  usedGpus = 0;
  /** Placed pods that may use CPU beyond their request: they share the unrequested cores. */
  burstablePods = 0;

  constructor(
    readonly name: string,
    readonly pool: string,
    readonly cores: number,
    readonly memoryGiB: number,
    readonly gpus: number,
    readonly gpuType?: string,
    /** Its cores' scheduler when pods share them (cluster `cpu: "shared"`); null when each batch has its cores reserved. */
    readonly cpu: NodeCpu | null = null,
  ) {}

  fits(r: ResourceRequest): boolean {
    if (!gpuTypeMatches(r, this.gpuType)) return false;
    return this.usedCores + r.cores <= this.cores + 1e-9 && this.usedMemoryGiB + r.memoryGiB <= this.memoryGiB + 1e-9 && this.usedGpus + r.gpus <= this.gpus;
  }

  hold(r: ResourceRequest, sign: 1 | -1): void {
    this.usedCores += sign * r.cores;
    this.usedMemoryGiB += sign * r.memoryGiB;
    this.usedGpus += sign * r.gpus;
    if (r.burstable === true) this.burstablePods += sign;
  }

  freeCores(): number {
    return this.cores - this.usedCores;
  }

  /**
   * The cores one burstable pod may use beyond its request: the node's unrequested cores split
   * equally among its burstable pods (CFS lets a container without a limit use idle cycles; this
   * stand-in counts only cores no pod requests, not cycles a pod leaves idle below its request).
   * Rounded down to millicores, the unit of Kubernetes CPU quantities, so that drifting float
   * sums of requests do not give every batch a slightly different core count. 0 on a node of
   * unknown size (the unbounded default), so pods there run at their request as before.
   */
  spareCoresPerBurstablePod(): number {
    if (this.burstablePods === 0 || this.cores === Infinity || this.cpu !== null) return 0;
    const free = this.cores - this.usedCores;
    return free > 0 ? Math.floor((free / this.burstablePods) * 1000 + 1e-6) / 1000 : 0;
  }
}

/** Which resource of the request an empty node of the pool lacks, if any (the first of cores, memory, GPUs that does not fit). */
export function shortfallOnEmptyNode(pool: Pick<NodePoolSpec, 'cores' | 'allocatableCores' | 'memoryGiB' | 'gpus' | 'gpuType'>, r: ResourceRequest): 'cores' | 'memoryGiB' | 'gpus' | 'gpuType' | null {
  if (r.cores > (pool.allocatableCores ?? pool.cores) + 1e-9) return 'cores';
  if (r.memoryGiB > pool.memoryGiB + 1e-9) return 'memoryGiB';
  if (r.gpus > pool.gpus) return 'gpus';
  if (!gpuTypeMatches(r, pool.gpuType)) return 'gpuType';
  return null;
}

/**
 * The cluster's nodes and the scheduler's placement: first-fit takes the first node (in pool
 * order) with room, best-fit the one left with the fewest free cores.
 */
export class NodeSet {
  readonly nodes: Node[];
  /** Where pods go when the spec describes no cluster. */
  private readonly unbounded = new Node('unbounded', 'default', Infinity, Infinity, Infinity);

  constructor(
    private readonly spec: ClusterSpec | undefined,
    sim: Simulator,
  ) {
    const shared = spec?.cpu === 'shared';
    this.nodes = spec === undefined ? [this.unbounded] : spec.nodePools.flatMap((pool) =>
      Array.from({ length: pool.nodes }, (_, i) => {
        const name = `${pool.name}-${i}`;
        return new Node(name, pool.name, pool.allocatableCores ?? pool.cores, pool.memoryGiB, pool.gpus, pool.gpuType, shared ? new NodeCpu(sim, name, pool.cores, pool.backgroundCores) : null);
      }),
    );
  }

  /** The first node of `pool` (of the first pool when undefined): where a process outside the pods runs. */
  firstOf(pool: string | undefined): Node {
    return this.nodes.find((n) => pool === undefined || n.pool === pool) as Node;
  }

  /** A node with room for the request in `pool` (any pool when undefined), held for it; null when none fits. */
  place(request: ResourceRequest, pool: string | undefined): Node | null {
    if (this.spec === undefined) return this.unbounded;
    let chosen: Node | null = null;
    for (const node of this.nodes) {
      if ((pool !== undefined && node.pool !== pool) || !node.fits(request)) continue;
      if (this.spec.placement === 'first-fit') {
        chosen = node;
        break;
      }
      if (chosen === null || node.freeCores() < chosen.freeCores()) chosen = node;
    }
    chosen?.hold(request, 1);
    return chosen;
  }

  release(node: Node, request: ResourceRequest): void {
    if (node !== this.unbounded) node.hold(request, -1);
  }

  /** Takes `extra` more cores (negative: gives them back) for a pod already on `node`; false when they do not fit. */
  resize(node: Node, extra: number): boolean {
    if (node === this.unbounded) return true;
    if (extra > 0 && !node.fits({ cores: extra, memoryGiB: 0, gpus: 0 })) return false;
    node.usedCores += extra;
    return true;
  }
}
