/** The default backend: HiGHS compiled to wasm (the `highs` package, MIT), fed LP format text. */
import type { Highs, LegacyHighsSolution } from 'highs';
import { indexModel } from './indexed.js';
import { columnName, renderLpFormat } from './lp-format.js';
import type { MilpModel, MilpSolution, MilpSolver, SolveOptions } from './model.js';
import { failedSolution, optimalSolution } from './solution.js';

const OPTIONS = {
  // HiGHS' default relative gap (1e-4) may stop short of the optimum; policies need the exact one.
  mip_rel_gap: 0,
  output_flag: false,
  // The feasibility-jump heuristic costs a fixed ~8 ms per MIP in this wasm build, ten times the
  // whole solve of a policy-sized model; branch and bound still proves the optimum without it.
  // (Missing from the package's option types, but HiGHS accepts it: unknown options throw.)
  mip_heuristic_run_feasibility_jump: false,
  // The other primal heuristics likewise cost more than they save on models this small: IPA's
  // two-stage program solves in a median ~4 ms without them, ~24 ms with (decision_time.csv of
  // `servesim reproduce ipa`).
  mip_heuristic_effort: 0,
};

let runtime: Promise<Highs> | undefined;
let loaded: Highs | undefined;

/** Instantiating the wasm takes tens of milliseconds, so it happens once. */
async function load(): Promise<void> {
  runtime ??= import('highs').then((module) => module.default());
  loaded = await runtime;
}

function solveLp(highs: Highs, lp: string, timeLimitSeconds: number | undefined): LegacyHighsSolution {
  const options = timeLimitSeconds === undefined ? OPTIONS : { ...OPTIONS, time_limit: timeLimitSeconds };
  const result = highs.solve(lp, options);
  // Presolve may prove only "infeasible or unbounded"; solving without it tells which.
  if (result.Status === 'Primal infeasible or unbounded') return highs.solve(lp, { ...options, presolve: 'off' });
  return result;
}

function solveLoaded(model: MilpModel, options: SolveOptions = {}): MilpSolution {
  const indexed = indexModel(model);
  const highs = loaded;
  if (highs === undefined) throw new Error('HiGHS is not loaded: await load() first');
  const start = performance.now();
  const result = solveLp(highs, renderLpFormat(indexed), options.timeLimitSeconds);
  const seconds = (performance.now() - start) / 1000;
  switch (result.Status) {
    case 'Optimal': {
      const values = indexed.variables.map((variable, column) => {
        const solved = result.Columns[columnName(column)];
        if (!solved || !('Primal' in solved)) throw new Error(`HiGHS returned no value for variable "${variable.name}"`);
        return solved.Primal;
      });
      return optimalSolution(indexed, values, 'highs', seconds);
    }
    case 'Infeasible':
      return failedSolution('infeasible', 'HiGHS: Infeasible', 'highs', seconds);
    case 'Unbounded':
      return failedSolution('unbounded', 'HiGHS: Unbounded', 'highs', seconds);
    case 'Time limit reached':
      return failedSolution('time-limit', 'HiGHS: Time limit reached', 'highs', seconds);
    default:
      return failedSolution('error', `HiGHS: ${result.Status}`, 'highs', seconds);
  }
}

export function createHighsSolver(): MilpSolver {
  return { name: 'highs', load, solveLoaded, solve: async (model, options) => (await load(), solveLoaded(model, options)) };
}
