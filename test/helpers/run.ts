import { validateSpec } from '../../src/experiment/load-spec.js';
import { runSpec, type RunOptions } from '../../src/experiment/run.js';
import type { SpecInput } from '../../src/experiment/spec.js';
import type { Summary } from '../../src/experiment/summary.js';

/** Validates and runs a spec object in-process. */
export function simulate(spec: SpecInput, options?: RunOptions): Promise<Summary> {
  return runSpec(validateSpec(spec, 'test-spec'), options);
}

/** A one-deployment queueing model. */
export function queueSpec(
  name: string,
  rate: number,
  replicas: number,
  serviceTime: SpecInput['deployments'][number]['serviceTime'],
  duration: number,
  seed = 1,
): SpecInput {
  return {
    name,
    seed,
    duration,
    window: duration / 10,
    workload: { arrivals: { process: 'poisson', rate } },
    deployments: [{ name: 'svc', replicas, serviceTime }],
  };
}
