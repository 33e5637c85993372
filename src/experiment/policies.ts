import type { ScopedPolicy } from '../control/loop.js';
import { createPolicy, policyTargets, type PolicyContext } from '../policies/schema.js';
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
