import type { DeploymentSpec } from '../cluster/schema.js';
import type { ScopedPolicy } from '../control/loop.js';
import { InputError } from '../errors.js';
import { createPolicy, policyTargets, type PolicyContext } from '../policies/schema.js';
import { spongeFitOf } from '../profiles/registry.js';
import { serviceTimeCapacity, serviceTimeTable } from '../profiles/service-time-source.js';
import { loadPolicyModule } from './policy-module.js';
import { specPolicies, type Spec } from './spec.js';

/** The spec's controllers, built-in or from modules (`resolve` finds a module relative to the spec), each with its targets. */
export async function createPolicies(spec: Spec, context: PolicyContext, resolve: (file: string) => string): Promise<ScopedPolicy[]> {
  const scoped: ScopedPolicy[] = [];
  for (const policySpec of specPolicies(spec)) {
    const policy = policySpec.name === 'module' ? await loadPolicyModule(policySpec, resolve(policySpec.module)) : createPolicy(policySpec, context);
    if (policy === null) continue;
    await policy.prepare?.();
    scoped.push({ policy, targets: policyTargets(policySpec) });
  }
  return scoped;
}

/** What summary.json calls the run's control: its policies' names joined by "+", "static" without any. */
export function policyLabel(policies: ScopedPolicy[]): string {
  return policies.length === 0 ? 'static' : policies.map((p) => p.policy.name).join('+');
}

/** What a policy's context reads of one deployment: its spec, the variant it serves and that variant's accuracy. */
export interface DeploymentFacts {
  spec: DeploymentSpec;
  variant: string;
  accuracy: number | null;
}

/**
 * The context policies are built with, the same for a simulated and a real run: each deployment's
 * facts come from `facts` (undefined: no such deployment in the run), its data files through `resolve`.
 * A policy decides from the spec's model load times, not measured ones, so both worlds give it the same inputs.
 */
export function policyContext(metricWindowSeconds: number, facts: (name: string) => DeploymentFacts | undefined, resolve: (file: string) => string): PolicyContext {
  const known = (name: string) => {
    const d = facts(name);
    if (d === undefined) throw new InputError(`policy on "${name}": no deployment "${name}" in this run`);
    if (d.accuracy === null) throw new InputError(`policy on "${name}": deployment "${name}" has no accuracy (give one, or a profile that has it)`);
    return { ...d, accuracy: d.accuracy };
  };
  return {
    metricWindowSeconds,
    variants: (names, capacitySloMs) =>
      names.map((name) => {
        const d = known(name);
        const capacity = capacitySloMs === undefined ? undefined : serviceTimeCapacity(d.spec, capacitySloMs, resolve);
        return { deployment: name, variant: d.variant, accuracy: d.accuracy, loadSeconds: d.spec.lifecycle.modelLoadSeconds, capacity };
      }),
    profiles: (names) =>
      names.map((name) => {
        const d = known(name);
        const points = serviceTimeTable(d.spec, resolve).map((p) => ({ cores: p.cores, batch: p.batch, p99Seconds: p.p99, throughputRps: p.throughputRps }));
        const incomplete = points.find((p) => Number.isNaN(p.p99Seconds) || Number.isNaN(p.throughputRps));
        if (incomplete !== undefined) throw new InputError(`policy on "${name}": its profile has no P99 or throughput at batch ${incomplete.batch} on ${incomplete.cores} cores (IPA reads both)`);
        return { deployment: name, accuracy: d.accuracy, points };
      }),
    batchLatency: (name) => {
      const d = facts(name);
      if (d === undefined) throw new InputError(`policy on "${name}": no deployment "${name}" in this run`);
      if (d.spec.profile === undefined) throw new InputError(`policy on "${name}": deployment "${name}" has no profile to fit l(b, c) to (give it a "profile")`);
      return spongeFitOf(d.spec.profile, resolve);
    },
  };
}
