import type { DeploymentSpec } from '../cluster/schema.js';
import { InputError } from '../errors.js';
import { measureCapacity } from './capacity.js';
import type { Spec } from './spec.js';
import { fitCapacityLine, type CapacityLine } from '../policies/infadapter.js';
import { readProfileCsv } from '../profiles/table-model.js';

/**
 * A measured variant's capacity line for InfAdapter and MS+, in place of InfAdapter's published
 * table (which covers its ResNets only): at each core count the deployment's profile measured
 * (`servesim profile`), the highest Poisson rate one server sustains with its P99 within the SLO,
 * found by simulating one replica from that profile — the "steady" method of
 * src/experiment/capacity.ts, as InfAdapter's own "probe" offers at most 30 requests/s per core,
 * far below these models' saturation — and the least-squares line through them, as InfAdapter
 * fits its table. One request at a time, as the table was measured (TF-Serving without batching).
 */
export async function profileCapacityLine(d: DeploymentSpec, sloSeconds: number, seed: number, resolve: (file: string) => string): Promise<CapacityLine> {
  const profile = d.profile;
  if (profile?.file === undefined) throw new InputError(`deployment "${d.name}" needs a profile file (servesim profile) for its capacity`);
  const cores = [...new Set(readProfileCsv(resolve(profile.file)).filter((p) => p.variant === profile.variant && p.device === profile.device).map((p) => p.cores))].sort((a, b) => a - b);
  if (cores.length < 2) {
    throw new InputError(`${profile.file} profiles ${profile.variant} at ${cores.length} core count(s); a capacity line needs two or more (servesim profile --cores 1,2)`);
  }
  const points = [];
  for (const n of cores) {
    const { capacityRps } = await measureCapacity({ cores: n, profile, serviceTime: undefined, concurrency: d.concurrency }, { sloSeconds, method: 'steady', seed, resolve });
    points.push({ cores: n, capacityRps });
  }
  return fitCapacityLine(points);
}

/**
 * InfAdapter's and MS+'s capacity line of each variant they configure whose profile is a measured
 * file (the testbed's models); variants of InfAdapter's named profile keep its published table.
 * The same lines serve `servesim run` and `servesim testbed run`, so both decide alike.
 */
export async function capacityLines(spec: Spec, resolve: (file: string) => string): Promise<Map<string, CapacityLine>> {
  const lines = new Map<string, CapacityLine>();
  if (spec.policy.name !== 'infadapter' && spec.policy.name !== 'ms+') return lines;
  for (const name of spec.policy.deployments) {
    const d = spec.deployments.find((x) => x.name === name);
    if (d === undefined) throw new InputError(`policy ${spec.policy.name}: no deployment "${name}"`);
    if (d.profile?.file !== undefined) lines.set(name, await profileCapacityLine(d, spec.policy.capacitySloMs / 1000, spec.seed, resolve));
  }
  return lines;
}
