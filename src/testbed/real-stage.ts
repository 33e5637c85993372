import { WeightedRoundRobin } from '../cluster/router.js';
import type { StageSpec } from '../cluster/schema.js';
import type { Uniform } from '../engine/random.js';
import type { RealDeployment } from './actuator.js';

/**
 * One pipeline stage on real servers: its variant deployments and how a request picks one, as the
 * simulated Service's stage does (src/cluster/service.ts). Smooth weighted round-robin on the
 * stage's weights (a controller's `weights` action sets them) over the deployments that have a
 * ready server; random by the weights from a seeded stream; or the deployment with the fewest
 * requests in flight. A single deployment takes every request, whatever its weight.
 */
export class RealStage {
  private readonly wrr: WeightedRoundRobin;

  constructor(
    readonly name: string,
    readonly deployments: RealDeployment[],
    private readonly router: StageSpec['router'],
    weights: number[] | undefined,
    private readonly uniform: Uniform,
  ) {
    // Equal weights by default, as the stage schema says.
    this.wrr = new WeightedRoundRobin(weights ?? deployments.map(() => 1));
  }

  setWeights(weights: number[]): void {
    this.wrr.setWeights(weights);
  }

  /** The deployment a request goes to; null when none can take it. */
  private pickDeployment(): RealDeployment | null {
    const ds = this.deployments;
    if (ds.length === 1) return ds[0];
    switch (this.router) {
      case 'weighted-round-robin': {
        const i = this.wrr.next((k) => ds[k].readyCount() > 0);
        return i < 0 ? null : ds[i];
      }
      case 'random': {
        const i = this.wrr.random(this.uniform());
        return i < 0 ? null : ds[i];
      }
      case 'least-outstanding':
        return ds.reduce((best, d) => (d.inFlight() < best.inFlight() ? d : best));
    }
  }

  /** A ready server for the next request, and its deployment; null when there is none (the request fails). */
  pick(): { port: number; deployment: string } | null {
    const d = this.pickDeployment();
    const port = d?.pick() ?? null;
    return d === null || port === null ? null : { port, deployment: d.name };
  }
}
