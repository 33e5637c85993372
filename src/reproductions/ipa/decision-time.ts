import { join } from 'node:path';
import { median } from 'simple-statistics';
import { validateSpec } from '../../experiment/load-spec.js';
import { policyContext } from '../../experiment/policies.js';
import { specPolicies, type SpecInput } from '../../experiment/spec.js';
import { packageRoot } from '../../paths.js';
import { ipaStages, type IpaSpec } from '../../policies/ipa.js';
import { bruteForceIpa, ipaModel, ipaPlanOf, MAX_BRUTE_FORCE_COMBINATIONS, type IpaPlan, type IpaProblem } from '../../policies/ipa-program.js';
import { serviceTimeModel, serviceTimeSourceOf } from '../../profiles/service-time-source.js';
import { createSolver, type MilpSolution, type MilpSolver } from '../../solver/index.js';

/** The decision time of one solver on pipelines of one length, over the loads tried. */
export interface DecisionTime {
  stages: number;
  solver: 'highs' | 'glpk' | 'brute-force';
  medianMs: number;
  maxMs: number;
  decisions: number;
  /** Decisions stopped at DECISION_TIME_LIMIT_SECONDS (counted at the limit); the solver then stops for longer pipelines. */
  timedOut: number;
}

/** Seconds one decision may take here before its solver is left out of longer pipelines: 100 decision intervals of 50 ms. */
export const DECISION_TIME_LIMIT_SECONDS = 5;

/** Predicted loads each length is solved at (requests/s): the range of IPA's damped patterns, 3 to 34. */
const LOADS = [4, 8, 12, 16, 20, 24, 28, 32];

/**
 * Fig. 13: how long one decision takes as the pipeline grows from 2 stages to `maxStages`, the
 * video pipeline's two stages repeated (the SLA the sum of their stage SLAs), with HiGHS, with glpk.js
 * where it is installed, and by enumeration where that stays within MAX_BRUTE_FORCE_COMBINATIONS.
 * A decision is the whole call: the program built, written out, solved and read back. A solver
 * whose decision runs past DECISION_TIME_LIMIT_SECONDS is stopped there and left out of longer
 * pipelines. Every solver must reach the same objective; a disagreement is a bug, and throws.
 */
export async function measureDecisionTimes(ipaSpec: SpecInput, maxStages: number, log: (line: string) => void): Promise<DecisionTime[]> {
  const spec = validateSpec(ipaSpec, 'IPA');
  const policy = specPolicies(spec).find((p) => p.name === 'ipa') as IpaSpec;
  const resolve = (file: string) => join(packageRoot, file);
  const facts = (name: string) => {
    const d = spec.deployments.find((x) => x.name === name);
    return d === undefined ? undefined : { spec: d, variant: d.profile?.variant ?? name, accuracy: d.accuracy ?? serviceTimeModel(serviceTimeSourceOf(d), resolve).accuracy ?? null };
  };
  const context = policyContext(spec.metricsServer.scrapeSeconds, facts, resolve);
  const { stages } = ipaStages(policy, policy.stages.map((s) => context.profiles(s.deployments)));
  const stageSla = policy.stages.map((s) => s.slaSeconds);

  const limit = { timeLimitSeconds: DECISION_TIME_LIMIT_SECONDS };
  const solvers: { name: DecisionTime['solver']; solve: (problem: IpaProblem) => MilpSolution | IpaPlan | null }[] = [];
  for (const name of ['highs', 'glpk'] as const) {
    const solver: MilpSolver = createSolver(name);
    try {
      await solver.load();
      solvers.push({ name, solve: (problem) => solver.solveLoaded(ipaModel(problem), limit) });
    } catch {
      log(`${name} is not installed: its decision times are left out`);
    }
  }
  solvers.push({ name: 'brute-force', solve: bruteForceIpa });

  const times: DecisionTime[] = [];
  const stopped = new Set<string>();
  for (let length = 2; length <= maxStages; length++) {
    const chain = Array.from({ length }, (_, i) => ({ ...stages[i % stages.length], name: `stage-${i + 1}` }));
    const slaSeconds = chain.reduce((sum, _, i) => sum + stageSla[i % stages.length], 0);
    const problems = LOADS.map((load): IpaProblem => ({ stages: chain, load, slaSeconds, alpha: policy.alpha, beta: policy.beta, delta: policy.delta, accuracy: policy.accuracy, scalingCap: policy.scalingCap }));
    const combinations = chain.reduce((n, s) => n * s.options.length, 1);
    const objectives = new Map<number, number | null>();
    for (const { name, solve } of solvers) {
      if (stopped.has(name) || (name === 'brute-force' && combinations > MAX_BRUTE_FORCE_COMBINATIONS)) continue;
      const ms: number[] = [];
      let timedOut = 0;
      for (const [i, problem] of problems.entries()) {
        const start = performance.now();
        const outcome = solve(problem);
        ms.push(performance.now() - start);
        if (outcome !== null && 'status' in outcome && outcome.status === 'time-limit') {
          timedOut++;
          log(`${name}: a decision for ${length} stages at ${problem.load} requests/s ran past ${DECISION_TIME_LIMIT_SECONDS} s; left out of longer pipelines`);
          stopped.add(name);
          break;
        }
        const plan = outcome !== null && 'status' in outcome ? ipaPlanOf(problem, outcome) : outcome;
        const objective = plan === null ? null : problem.alpha * plan.accuracy - problem.beta * plan.cores - problem.delta * plan.stages.reduce((sum, s) => sum + s.batch, 0);
        const known = objectives.get(i);
        if (known === undefined) objectives.set(i, objective);
        else if ((known === null) !== (objective === null) || (known !== null && objective !== null && Math.abs(known - objective) > 1e-7)) {
          throw new Error(`IPA's program, ${length} stages at ${problem.load} requests/s: ${name} reaches ${objective}, another solver ${known}`);
        }
      }
      times.push({ stages: length, solver: name, medianMs: median(ms), maxMs: Math.max(...ms), decisions: ms.length, timedOut });
    }
  }
  return times;
}
