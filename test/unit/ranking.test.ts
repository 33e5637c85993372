import { describe, expect, it } from 'vitest';
import { kendallTauB, ranks, winner } from '../../src/experiment/ranking.js';
import { summarizeRepeats, type PairedRun } from '../../src/experiment/validate.js';

describe('ranking fidelity', () => {
  it('ranks share the mean rank of ties', () => {
    expect(ranks([3, 1, 2, 1])).toEqual([4, 1.5, 3, 1.5]);
  });

  it("Kendall's tau-b: 1, −1, and known values with and without ties (as scipy.stats.kendalltau gives them)", () => {
    expect(kendallTauB([1, 2, 3, 4, 5], [2, 4, 6, 8, 10])).toBe(1);
    expect(kendallTauB([1, 2, 3, 4, 5], [5, 4, 3, 2, 1])).toBe(-1);
    expect(kendallTauB([1, 2, 3], [1, 3, 2])).toBeCloseTo(1 / 3, 12);
    expect(kendallTauB([1, 1, 2], [1, 2, 3])).toBeCloseTo(0.816496580927726, 12);
    expect(kendallTauB([1, 1, 1], [1, 2, 3])).toBeNaN();
  });

  it('the winner is the cheapest configuration within the violation bound, else the one with the fewest violations', () => {
    const set = [
      { config: 'small', figures: { slo_violation_rate: 0.3, mean_cores: 1 } },
      { config: 'medium', figures: { slo_violation_rate: 0.05, mean_cores: 1.4 } },
      { config: 'large', figures: { slo_violation_rate: 0.01, mean_cores: 2 } },
    ];
    expect(winner(set, 0.1)).toBe('medium');
    expect(winner(set, 0.001)).toBe('large');
  });
});

describe('repeated real runs', () => {
  const run = (seed: number, simViolations: number, realViolations: number): PairedRun => {
    const summary = (v: number) => ({ sloViolationRate: v, meanCores: 1, accuracy: null, latencyMs: { p50: 5, p99: 50 } }) as unknown as PairedRun['sim'];
    const rows = [{ t: 0, deployment: 'server', replicas: 1 }] as PairedRun['simRows'];
    return { seed, sim: summary(simViolations), real: summary(realViolations) as PairedRun['real'], simRows: rows, realRows: rows, simLatenciesMs: [], realLatenciesMs: [], clientCpuPerRequest: 0, controllerCpuPerDecision: 0 };
  };

  it('compares the means over seeds and accepts within the wider of ±10% and the real runs\' range', () => {
    // Real 0.10, 0.20, 0.30 (mean 0.20, range 0.10–0.30); the simulator's mean 0.28 is 40% off yet within the range.
    const within = summarizeRepeats('c', [run(1, 0.28, 0.1), run(2, 0.28, 0.2), run(3, 0.28, 0.3)], ['slo_violation_rate']);
    expect(within.rows[0].real).toBeCloseTo(0.2, 12);
    expect(within.rows[0].errorPct).toBeCloseTo(40, 9);
    expect(within.spread[0]).toMatchObject({ runs: 3, realMin: 0.1, realMax: 0.3, withinGoal: true });
    // Real runs that agree (0.20 each): only ±10% is accepted.
    const tight = summarizeRepeats('c', [run(1, 0.23, 0.2), run(2, 0.23, 0.2), run(3, 0.23, 0.2)], ['slo_violation_rate']);
    expect(tight.spread[0].withinGoal).toBe(false);
    expect(summarizeRepeats('c', [run(1, 0.21, 0.2)], ['slo_violation_rate']).spread[0].withinGoal).toBe(true);
  });
});
