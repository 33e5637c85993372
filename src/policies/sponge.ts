import { z } from 'zod';
import type { Action, Observation, Policy } from '../control/types.js';
import { createSolver, type MilpSolver } from '../solver/index.js';
import { fa2Choice, spongeChoiceOf, spongeModel, spongeSearch, type SpongeChoice, type SpongeLatency, type SpongeProblem } from './sponge-decision.js';

const positive = z.number().positive();

/**
 * Sponge (Razavi et al., EuroMLSys 2024) as its adapter runs `dynainf` (saeid93/sponge: the
 * search of experiments/runner/notebooks/algorithms.ipynb, optimizer/adapter.py; settings of
 * data/configs/final/*.yaml): every second, from
 * the last second's arrivals and the worst uplink time of the monitoring window, the fewest cores
 * and then the smallest batch under which every request of the next second still meets its
 * deadline (sponge-decision.ts); carried out on the one pod by an in-place resize and a batch change.
 */
export const spongeSchema = z.strictObject({
  name: z.literal('sponge'),
  deployment: z.string().describe('The one deployment it sizes (one pod, resized in place)'),
  sloSeconds: positive.default(1).describe("Every request's SLO from its send time (1000 ms in the configs)"),
  intervalSeconds: z.number().min(0.01).default(1).describe('adaptation_interval (1 s)'),
  firstDecisionSeconds: z.number().nonnegative().default(1),
  cpuCap: z.number().int().positive().default(16).describe('Cores searched: 1..cpuCap (cpu_cap 16)'),
  batchCap: z.number().int().positive().default(16).describe('Batch sizes searched: 1..batchCap (batching_cap 16)'),
  safety: z.number().positive().max(1).default(0.9).describe("The share of the SLO the last request may use (the feasibility check's 0.9)"),
  monitoringSeconds: positive.default(120).describe('The window over which the smallest remaining budget is read (monitoring_duration, 2 minutes)'),
  maxBatchWaitSeconds: z.number().nonnegative().default(0).describe('How long a batch waits to fill (a stand-in: the configs do not set it; 0 serves what is queued, up to the batch size)'),
  solver: z.enum(['search', 'highs', 'glpk']).default('search').describe("search: the authors' loop; highs, glpk: the same decision as an integer program"),
  baseline: z
    .enum(['none', 'fa2'])
    .default('none')
    .describe("none: Sponge; fa2: the FA2 baseline of Sponge's comparison, one-core replicas scaled out and batched (optimizer.py fa2), its cl_max from the last second's budget"),
});

export type SpongeSpec = z.infer<typeof spongeSchema>;

export class Sponge implements Policy {
  readonly name: string;
  readonly intervalSeconds: number;
  readonly firstDecisionSeconds: number;
  readonly solveSeconds: number[] = [];
  /** Each decision, for reports: its inputs and the choice (null: none feasible, nothing changes; FA2's `cores` are its one-core replicas). */
  readonly decisions: { time: number; load: number; clMaxSeconds: number; choice: SpongeChoice | null }[] = [];
  private readonly solver: MilpSolver | null;
  private batch: number | null = null;

  constructor(
    readonly spec: SpongeSpec,
    /** l(b, c) of the deployment's model, fitted to its profile. */
    private readonly latency: SpongeLatency,
  ) {
    this.name = spec.baseline === 'fa2' ? 'fa2' : 'sponge';
    this.intervalSeconds = spec.intervalSeconds;
    this.firstDecisionSeconds = spec.firstDecisionSeconds;
    this.solver = spec.solver === 'search' ? null : createSolver(spec.solver);
  }

  async prepare(): Promise<void> {
    await this.solver?.load();
  }

  /**
   * The decision's inputs: λ = the last second's arrivals, cl_max = SLO − the smallest budget of
   * the window (FA2: of the last second that had one); 0 when none is known.
   */
  problem(o: Observation): SpongeProblem {
    const { spec } = this;
    const budgets = o.budgetPerSecond ?? [];
    let smallest = Infinity;
    const from = spec.baseline === 'fa2' ? budgets.findLastIndex(Number.isFinite) : budgets.length - Math.round(spec.monitoringSeconds);
    for (let i = Math.max(0, from); i < budgets.length; i++) smallest = Math.min(smallest, budgets[i]);
    const clMaxSeconds = Number.isFinite(smallest) ? Math.max(0, spec.sloSeconds - smallest) : 0;
    return { latency: this.latency, load: o.arrivalsPerSecond.at(-1) ?? 0, clMaxSeconds, sloSeconds: spec.sloSeconds, cpuCap: spec.cpuCap, batchCap: spec.batchCap, safety: spec.safety };
  }

  decide(o: Observation): Action[] {
    return this.spec.baseline === 'fa2' ? this.decideFa2(o) : this.decideSponge(o);
  }

  /** FA2: the replicas and batch size of fa2Choice, on one-core pods. */
  private decideFa2(o: Observation): Action[] {
    const problem = this.problem(o);
    const start = performance.now();
    const choice = fa2Choice(problem);
    this.solveSeconds.push((performance.now() - start) / 1000);
    this.decisions.push({ time: o.now, load: problem.load, clMaxSeconds: problem.clMaxSeconds, choice: choice === null ? null : { cores: choice.replicas, batch: choice.batch } });
    if (choice === null) return [];
    const d = o.deployments.find((x) => x.name === this.spec.deployment);
    const actions: Action[] = [];
    if (d !== undefined && d.replicas !== choice.replicas) actions.push({ kind: 'scale', deployment: this.spec.deployment, replicas: choice.replicas });
    actions.push(...this.batchAction(choice.batch));
    return actions;
  }

  private decideSponge(o: Observation): Action[] {
    const problem = this.problem(o);
    const start = performance.now();
    const choice = this.solver === null ? spongeSearch(problem) : spongeChoiceOf(problem, this.solver.solveLoaded(spongeModel(problem)));
    this.solveSeconds.push((performance.now() - start) / 1000);
    this.decisions.push({ time: o.now, load: problem.load, clMaxSeconds: problem.clMaxSeconds, choice });
    if (choice === null) return [];
    const d = o.deployments.find((x) => x.name === this.spec.deployment);
    const actions: Action[] = [];
    if (d !== undefined && d.coresPerReplica !== choice.cores) actions.push({ kind: 'resize', deployment: this.spec.deployment, cores: choice.cores, strategy: 'in-place' });
    actions.push(...this.batchAction(choice.batch));
    return actions;
  }

  /** A batch change, only when the size differs from the one last set. */
  private batchAction(batch: number): Action[] {
    if (this.batch === batch) return [];
    this.batch = batch;
    return [{ kind: 'batch', deployment: this.spec.deployment, maxBatch: batch, maxWaitSeconds: this.spec.maxBatchWaitSeconds }];
  }
}
