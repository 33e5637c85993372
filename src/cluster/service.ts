import type { EventHandler } from '../engine/event-queue.js';
import type { Uniform } from '../engine/random.js';
import type { Simulator } from '../engine/simulator.js';
import type { RunMetrics } from '../metrics/run-metrics.js';
import type { Request } from '../workload/request.js';
import type { RequestSink } from '../workload/workload.js';
import type { Deployment, StageExit } from './deployment.js';
import type { Network } from './network.js';
import { WeightedRoundRobin } from './router.js';
import type { PipelineSpec } from './schema.js';

const ENTER = 1;
const RETURN = 2;

/**
 * What each of a stage's variants adds to a request's pipeline accuracy, from their raw accuracies
 * (NaN: unknown): the raw accuracy (product), or its rank within the stage normalised to [0, 1]
 * (sum, IPA's original objective).
 */
export function stageAccuracyTerms(raw: number[], product: boolean): number[] {
  if (product) return raw;
  const sorted = [...raw].sort((a, b) => a - b);
  return raw.map((a) => (Number.isNaN(a) ? NaN : raw.length === 1 ? 1 : sorted.indexOf(a) / (raw.length - 1)));
}

/** One stage at run time: its variants, how requests pick one, and where its output goes. */
interface Stage {
  readonly index: number;
  readonly name: string;
  readonly variants: Deployment[];
  /** Per variant: what it adds to a request's pipeline accuracy (NaN when unknown). */
  readonly accuracyTerm: number[];
  readonly router: PipelineSpec['stages'][number]['router'];
  readonly wrr: WeightedRoundRobin;
  readonly parents: number[];
  readonly children: number[];
}

/**
 * A pipeline of stages (a DAG; a single deployment is a one-stage pipeline). Requests pass from
 * stage to stage over network hops; a stage with several parents waits for all of them (fan-in),
 * a stage with several children sends a branch to each (fan-out). End-to-end latency runs from
 * the client's send to the response's return after the last stage.
 */
export class Service implements RequestSink, StageExit, EventHandler {
  private readonly stages: Stage[];
  private readonly sources: number[];
  /** Network hops take time: requests travel through events. */
  private readonly timedHops: boolean;
  private readonly product: boolean;
  /** Requests between two places (network hops); all others are in a deployment or finished. */
  private readonly inTransit = new Set<Request>();
  /** Requests accepted and not yet completed or dropped. */
  live = 0;
  /** Hears of each request as it reaches the pipeline's first stage, after its upload (the control plane's budgets). */
  onEntry: ((request: Request, now: number) => void) | null = null;

  constructor(
    private readonly sim: Simulator,
    readonly spec: PipelineSpec,
    deployments: Map<string, Deployment>,
    private readonly network: Network,
    private readonly metrics: RunMetrics,
    private readonly routeUniform: Uniform,
  ) {
    this.product = spec.accuracy === 'product';
    const index = new Map(spec.stages.map((s, i) => [s.name, i]));
    this.stages = spec.stages.map((s, i) => {
      const variants = s.deployments.map((name) => deployments.get(name) as Deployment);
      const parents = s.after === undefined ? (i === 0 ? [] : [i - 1]) : s.after.map((name) => index.get(name) as number);
      return {
        index: i,
        name: s.name,
        variants,
        accuracyTerm: stageAccuracyTerms(variants.map((d) => d.accuracy ?? NaN), this.product),
        router: s.router,
        wrr: new WeightedRoundRobin(s.weights ?? variants.map(() => 1)),
        parents,
        children: [],
      };
    });
    for (const stage of this.stages) for (const parent of stage.parents) this.stages[parent].children.push(stage.index);
    this.sources = this.stages.filter((s) => s.parents.length === 0).map((s) => s.index);
    for (const stage of this.stages) {
      stage.variants.forEach((d, i) => {
        d.stageIndex = stage.index;
        d.variantIndex = i;
        d.exit = this;
      });
    }
    this.timedHops = network.hop !== null;
  }

  /** Routing weights of a stage's variants (set by a controller, e.g. InfAdapter's quotas). */
  setWeights(stage: string, weights: number[]): void {
    this.stages.find((s) => s.name === stage)?.wrr.setWeights(weights);
  }

  /** A client sends a request. */
  accept(request: Request): void {
    this.metrics.arrived++;
    this.live++;
    request.accuracy = this.product ? 1 : 0;
    request.stage = -1;
    const delay = this.network.delays ? this.network.entryDelay(this.sim.now) : 0;
    if (delay === 0) {
      this.onEntry?.(request, this.sim.now);
      return this.sources.length === 1 ? this.enter(this.stages[this.sources[0]], request) : this.enterSources(request);
    }
    this.inTransit.add(request);
    this.sim.post(this.sim.now + delay, this, ENTER, request);
  }

  handleEvent(tag: number, data: unknown): void {
    const request = data as Request;
    this.inTransit.delete(request);
    if (request.root.failed) return;
    if (tag === ENTER) {
      if (request.stage < 0) {
        this.onEntry?.(request, this.sim.now);
        this.enterSources(request);
      } else this.enter(this.stages[request.stage], request);
    } else this.finish(request);
  }

  private enterSources(request: Request): void {
    const sources = this.sources;
    for (let i = sources.length - 1; i >= 0; i--) this.enter(this.stages[sources[i]], i === 0 ? request : request.branch());
  }

  private enter(stage: Stage, request: Request): void {
    request.stage = stage.index;
    const variant = this.pickVariant(stage);
    if (variant === null) return this.fail(request, stage.name);
    variant.accept(request);
  }

  private pickVariant(stage: Stage): Deployment | null {
    const variants = stage.variants;
    if (variants.length === 1) return variants[0];
    switch (stage.router) {
      case 'weighted-round-robin': {
        // Like InfAdapter's dispatcher, send only to variants that have ready pods, while any does.
        let i = stage.wrr.next((k) => variants[k].readyReplicaCount() > 0);
        if (i < 0) i = stage.wrr.next();
        return i < 0 ? null : variants[i];
      }
      case 'random': {
        const i = stage.wrr.random(this.routeUniform());
        return i < 0 ? null : variants[i];
      }
      case 'least-outstanding':
        return variants.reduce((best, d) => (d.inFlightCount() < best.inFlightCount() ? d : best));
    }
  }

  /** A stage finished a request (StageExit). */
  done(request: Request, deployment: Deployment): void {
    const stage = this.stages[deployment.stageIndex];
    const term = stage.accuracyTerm[deployment.variantIndex];
    request.accuracy = this.product ? request.accuracy * term : request.accuracy + term;
    if (request.root.failed) return;
    const children = stage.children;
    if (children.length === 0) return this.hop(request, RETURN, stage.index);
    for (let i = children.length - 1; i >= 0; i--) {
      const child = this.stages[children[i]];
      const next = i === 0 ? request : request.branch();
      if (child.parents.length === 1 || this.joined(next, child)) this.hop(next, ENTER, child.index);
    }
  }

  /** Fan-in: true when this branch is the last of the child's parents to arrive. */
  private joined(branch: Request, child: Stage): boolean {
    const root = branch.root;
    root.pendingParents ??= new Int32Array(this.stages.map((s) => s.parents.length));
    if (--root.pendingParents[child.index] > 0) {
      // Merge what this branch learnt into the root and let the last branch carry on.
      root.waitSeconds = Math.max(root.waitSeconds, branch.waitSeconds);
      root.accuracy = this.product ? root.accuracy * branch.accuracy : root.accuracy + branch.accuracy;
      return false;
    }
    return true;
  }

  private hop(request: Request, tag: number, stage: number): void {
    request.stage = stage;
    const delay = this.timedHops ? this.network.hopDelay() : 0;
    if (delay === 0) return tag === ENTER ? this.enter(this.stages[stage], request) : this.finish(request);
    this.inTransit.add(request);
    this.sim.post(this.sim.now + delay, this, tag, request);
  }

  private finish(request: Request): void {
    const root = request.root;
    if (root !== request) {
      root.waitSeconds = Math.max(root.waitSeconds, request.waitSeconds);
      root.accuracy = request.accuracy;
    }
    this.live--;
    this.metrics.complete(root, this.stages[request.stage].name, this.sim.now);
  }

  /** A stage dropped a request (StageExit): the whole request fails, once. */
  dropped(request: Request, deployment: Deployment): void {
    this.fail(request, deployment.name);
  }

  private fail(request: Request, where: string): void {
    const root = request.root;
    if (root.failed) return;
    root.failed = true;
    this.live--;
    this.metrics.drop(root, where, this.sim.now);
  }

  /** Requests still travelling over the network. */
  transit(): Iterable<Request> {
    return this.inTransit;
  }
}
