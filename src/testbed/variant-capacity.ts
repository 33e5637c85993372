import type { DeploymentSpec } from '../cluster/schema.js';
import { InputError } from '../errors.js';
import { measureCapacity } from '../experiment/capacity.js';
import { fitCapacityLine, type CapacityLine } from '../policies/infadapter.js';
import { readProfileCsv } from '../profiles/table-model.js';

/**
 * A testbed variant's capacity line for InfAdapter and MS+, in place of InfAdapter's published
 * table (which covers its ResNets only): at each core count the deployment's profile measured
 * (`servesim profile`), the highest Poisson rate one server sustains with its P99 within the SLO,
 * found by simulating one replica from that profile — the "steady" method of
 * src/experiment/capacity.ts, as InfAdapter's own "probe" offers at most 30 requests/s per core,
 * far below these models' saturation — and the least-squares line through them, as InfAdapter
 * fits its table. One request at a time, as the table was measured (TF-Serving without batching).
 */
export async function profileCapacityLine(d: DeploymentSpec, sloSeconds: number, seed: number, resolve: (file: string) => string): Promise<CapacityLine> {
  const profile = d.profile;
  if (profile?.file === undefined) throw new InputError(`testbed run: deployment "${d.name}" needs a profile file (servesim profile) for its capacity`);
  const cores = [...new Set(readProfileCsv(resolve(profile.file)).filter((p) => p.variant === profile.variant && p.device === profile.device).map((p) => p.cores))].sort((a, b) => a - b);
  if (cores.length < 2) {
    throw new InputError(`testbed run: ${profile.file} profiles ${profile.variant} at ${cores.length} core count(s); a capacity line needs two or more (servesim profile --cores 1,2)`);
  }
  const points = [];
  for (const n of cores) {
    const { capacityRps } = await measureCapacity({ cores: n, profile, serviceTime: undefined, concurrency: d.concurrency }, { sloSeconds, method: 'steady', seed, resolve });
    points.push({ cores: n, capacityRps });
  }
  return fitCapacityLine(points);
}
