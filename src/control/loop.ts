import { InputError } from '../errors.js';
import type { Action, Observation, Policy } from './types.js';

/**
 * What a controller acts on: the simulated cluster or the real testbed. Both show the same
 * Observation and carry out the same Actions, so one policy drives either.
 */
export interface ControlPlane {
  observe(now: number): Observation;
  /** Carries out an action; whether it changed anything (a reconfiguration). */
  apply(action: Action): boolean;
}

/** Time for the control loop: simulated events or wall-clock timers, in seconds. */
export interface Clock {
  now(): number;
  /** Runs `task` at time `at` (not before now). */
  at(at: number, task: () => void): void;
}

/** A policy with the deployments it may act on (null: any), as its spec declares them. */
export interface ScopedPolicy {
  policy: Policy;
  targets: readonly string[] | null;
}

/** One decision of a policy: when it was made, and each action it returned with whether the plane changed anything for it. */
export interface Decision {
  time: number;
  policy: string;
  actions: { action: Action; applied: boolean }[];
}

/** The deployment or stage an action is about. */
function actionTarget(action: Action): string {
  return action.kind === 'weights' ? action.stage : action.deployment;
}

/**
 * The one control loop: every policy decides at its first decision time and then every
 * `intervalSeconds`, from an observation of the plane, and its actions are carried out at once.
 * A policy acting on a deployment outside its targets is an error: two policies never fight over
 * one deployment.
 */
export class ControlLoop {
  reconfigurations = 0;
  /**
   * Hears of every decision once its actions are carried out (a trace of the run); null unless
   * someone listens, and then the loop keeps no record of its decisions. Unlike `onDecide`, which
   * is called before the policy decides, it sees what was decided.
   */
  onDecision: ((decision: Decision) => void) | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly plane: ControlPlane,
    private readonly policies: readonly ScopedPolicy[],
    /** The stages each deployment serves in, so that a policy of a deployment may set its stage's weights. */
    private readonly stageOf: (deployment: string) => string | undefined = () => undefined,
    /** Called at each decision (what it costs the node the controller runs on). */
    private readonly onDecide?: () => void,
  ) {}

  start(): void {
    for (const scoped of this.policies) this.clock.at(scoped.policy.firstDecisionSeconds, () => this.decide(scoped));
  }

  private decide(scoped: ScopedPolicy): void {
    const now = this.clock.now();
    this.onDecide?.();
    const heard = this.onDecision === null ? null : ([] as Decision['actions']);
    for (const action of scoped.policy.decide(this.plane.observe(now))) {
      if (scoped.targets !== null && !this.mayAct(scoped.targets, action)) {
        throw new InputError(`policy ${scoped.policy.name}: an action on "${actionTarget(action)}", which is not one of its deployments (${scoped.targets.join(', ')})`);
      }
      const applied = this.plane.apply(action);
      if (applied) this.reconfigurations++;
      heard?.push({ action, applied });
    }
    if (heard !== null) this.onDecision?.({ time: now, policy: scoped.policy.name, actions: heard });
    this.clock.at(now + scoped.policy.intervalSeconds, () => this.decide(scoped));
  }

  private mayAct(targets: readonly string[], action: Action): boolean {
    if (action.kind !== 'weights') return targets.includes(action.deployment);
    return targets.some((d) => this.stageOf(d) === action.stage);
  }
}

