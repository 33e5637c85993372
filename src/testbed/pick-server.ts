import type { DeploymentSpec } from '../cluster/schema.js';
import type { Uniform } from '../engine/random.js';

/** How a request picks one of a deployment's ready servers: the deployment spec's `router`. */
export type ReplicaRouter = DeploymentSpec['router'];

/**
 * The testbed's counterpart of `pickReplica` in src/cluster/router.ts, over ready servers instead
 * of simulated pods (that one is typed to the simulator's Pod): round-robin by the caller's turn,
 * least outstanding (fewest requests sent and not yet answered; ties to the oldest server, which
 * comes first), or uniformly at random from the seeded stream. `ready` is never empty.
 */
export function pickServer<T extends { outstanding: number }>(router: ReplicaRouter, ready: T[], turn: number, u: Uniform): T {
  if (router === 'least-outstanding') return ready.reduce((best, s) => (s.outstanding < best.outstanding ? s : best));
  const k = router === 'random' ? Math.floor(u() * ready.length) : turn % ready.length;
  return ready[k];
}
