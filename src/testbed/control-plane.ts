import { ArrivalHistory } from '../control/arrival-history.js';
import type { Clock, ControlPlane } from '../control/loop.js';
import type { Action, Observation } from '../control/types.js';
import type { RealDeployment, ServerTemplate } from './actuator.js';
import type { RealStage } from './real-stage.js';

/** The model file and input size of a testbed variant, for servers that start serving it. */
export type ModelFor = (variant: string) => Pick<ServerTemplate, 'model' | 'imageSize'>;

/**
 * The real testbed as a controller sees it and acts on it: the peer of the simulated cluster's
 * control plane. Observations come from the servers (CPU from /proc, sampled as metrics-server
 * samples, on the same grid) and from the requests the load generator sent; actions are carried
 * out on server processes. A resize in place switches each running server to a session with the
 * new thread count and re-pins its threads, without a restart. Where the real world cannot do what
 * the simulator does, the nearest real action stands in: resizing one pod is evicting it (its
 * replacement takes the template's cores).
 */
export class RealControlPlane implements ControlPlane {
  private readonly arrivals = new ArrivalHistory();
  /** The smallest remaining budget per second, where the run models the client's upload (else absent from observations). */
  private budgets: ArrivalHistory | null = null;
  private readonly byName: Map<string, RealDeployment>;

  private readonly deployments: RealDeployment[];

  /** `stages`: the pipeline's stages in order, each deployment in one of them. */
  constructor(
    private readonly clock: Clock,
    private readonly stages: RealStage[],
    private readonly modelFor: ModelFor,
  ) {
    this.deployments = stages.flatMap((s) => s.deployments);
    this.byName = new Map(this.deployments.map((d) => [d.name, d]));
  }

  /** metrics-server: every `scrapeSeconds` from `offsetSeconds`, as the simulated cluster scrapes. */
  startScraping(scrapeSeconds: number, offsetSeconds = scrapeSeconds / 2): void {
    const scrape = (at: number) => {
      for (const d of this.deployments) d.scrape();
      this.clock.at(at + scrapeSeconds, () => scrape(at + scrapeSeconds));
    };
    this.clock.at(offsetSeconds, () => scrape(offsetSeconds));
  }

  /** A request reached the pipeline's first stage now. */
  recordArrival(): void {
    this.arrivals.record(Math.max(0, Math.floor(this.clock.now())));
  }

  /** A request reaches the first stage at `at` (after its upload) with `remaining` seconds of its SLO left. */
  recordBudget(at: number, remaining: number): void {
    this.budgets ??= new ArrivalHistory(true);
    this.budgets.record(Math.max(0, Math.floor(at)), remaining);
  }

  observe(now: number): Observation {
    const ended = Math.max(0, Math.floor(now));
    const budgets = this.budgets === null ? {} : { budgetPerSecond: this.budgets.history(ended) };
    return { now, arrivalsPerSecond: this.arrivals.history(ended), ...budgets, deployments: this.deployments.map((d) => d.observe()) };
  }

  apply(action: Action): boolean {
    if (action.kind === 'weights') {
      this.stages.find((s) => s.name === action.stage)?.setWeights(action.weights);
      return true;
    }
    const d = this.byName.get(action.deployment);
    if (d === undefined) return false;
    const current = d.observe();
    switch (action.kind) {
      case 'scale':
        // A count that is not a number starts nothing (a finite one past the cap is refused and counted: actuator.ts).
        if (action.replicas === current.replicas || !Number.isFinite(action.replicas)) return false;
        d.scaleTo(Math.max(0, Math.round(action.replicas)));
        return true;
      case 'resize':
        if (action.cores === current.coresPerReplica) return false;
        d.resize(action.cores, action.strategy);
        return true;
      case 'replace':
        if (action.variant === current.variant) return false;
        d.replace(action.variant, this.modelFor(action.variant), action.strategy);
        return true;
      case 'template':
        d.setTemplateCores(action.cores);
        return false;
      case 'evict':
      case 'resize-pod':
        if (!current.pods.some((p) => p.id === action.pod && p.phase !== 'Terminating')) return false;
        d.evict(action.pod);
        return true;
      case 'batch':
        // The same bounds the simulated deployment's setBatching applies.
        void d.setBatching(Math.max(1, Math.round(action.maxBatch)), Math.max(0, action.maxWaitSeconds) * 1000);
        return true;
    }
  }
}

/**
 * Wall-clock time for the control loop: seconds since `origin()`, tasks on timers. The first task
 * that throws stops every timer; the error waits in `failure` for the run to report it.
 */
export class TimerClock implements Clock {
  failure: unknown = null;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(readonly now: () => number) {}

  at(at: number, task: () => void): void {
    if (this.failure !== null) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        try {
          task();
        } catch (error) {
          this.failure = error;
          this.stop();
        }
      },
      Math.max(0, (at - this.now()) * 1000),
    );
    this.timers.add(timer);
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
