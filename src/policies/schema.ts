import { z } from 'zod';
import { Hpa, hpaSchema } from './hpa.js';
import { InfAdapter, infadapterSchema, msPlusSchema, type VariantInfo } from './infadapter.js';
import { Ipa, ipaSchema } from './ipa.js';
import { Keda, kedaSchema } from './keda.js';
import { Kpa, kpaSchema } from './kpa.js';
import type { IpaVariant } from './ipa-allocation.js';
import { infadapterEwma, infadapterLstm, ipaLstm, ipaReactive, loadLstmFile, shippedLstmPath } from './predictors/lstm.js';
import { modulePolicySchema } from './module.js';
import { maxOverWindow } from './predictors/simple.js';
import type { LoadPredictor } from './predictors/predictor.js';
import { Sponge, spongeSchema } from './sponge.js';
import type { SpongeLatency } from './sponge-decision.js';
import { staticPolicySchema } from './static.js';
import type { Policy } from '../control/types.js';
import { Vpa, vpaSchema } from './vpa.js';

/** Every policy a spec can name, told apart by `name`. */
export const policySchema = z.discriminatedUnion('name', [staticPolicySchema, hpaSchema, vpaSchema, kpaSchema, kedaSchema, infadapterSchema, msPlusSchema, ipaSchema, spongeSchema, modulePolicySchema]);

export type PolicySpec = z.infer<typeof policySchema>;

/** What building a policy needs to know of the world, as plain data. */
export interface PolicyContext {
  metricWindowSeconds: number;
  /**
   * The variants behind these deployments (accuracy, model load time); with `capacitySloMs`, each
   * with its capacity at that P99 SLO from its profile's capacity data (missing data is an InputError).
   */
  variants(deployments: string[], capacitySloMs?: number): VariantInfo[];
  /** The variants behind these deployments with their profile tables (missing tables or accuracies are an InputError). */
  profiles(deployments: string[]): IpaVariant[];
  /** Sponge's l(b, c) fitted to the deployment's profile (the named sponge profile, or any profile table). */
  batchLatency(deployment: string): SpongeLatency;
}

/** InfAdapter's forecast: the shipped LSTM or a stand-in, each with the margin. */
function infadapterPredictor(kind: 'lstm' | 'ewma' | 'max', margin: number): LoadPredictor {
  if (kind === 'lstm') return infadapterLstm(loadLstmFile(shippedLstmPath('infadapter-lstm')), { margin });
  if (kind === 'ewma') return infadapterEwma({ margin });
  const max = maxOverWindow(600);
  return { name: 'max-600s', predict: (history) => max.predict(history) * (1 + margin) };
}

/** The built-in controller a spec names; null for static (nothing ever changes). A module policy is loaded by experiment/policy-module.ts. */
export function createPolicy(spec: Exclude<PolicySpec, { name: 'module' }>, context: PolicyContext): Policy | null {
  switch (spec.name) {
    case 'static':
      return null;
    case 'hpa':
      return new Hpa(spec, context.metricWindowSeconds);
    case 'vpa':
      return new Vpa(spec);
    case 'kpa':
      return new Kpa(spec);
    case 'keda':
      return new Keda(spec);
    case 'infadapter':
    case 'ms+':
      return new InfAdapter(spec, context.variants(spec.deployments, spec.capacitySloMs), infadapterPredictor(spec.predictor, spec.margin));
    case 'ipa': {
      const predictor = spec.predictor === 'lstm' ? ipaLstm(loadLstmFile(shippedLstmPath('ipa-lstm')), { margin: spec.margin }) : ipaReactive({ margin: spec.margin });
      return new Ipa(spec, spec.stages.map((stage) => context.profiles(stage.deployments)), predictor);
    }
    case 'sponge':
      return new Sponge(spec, context.batchLatency(spec.deployment));
  }
}

/** The deployments a policy acts on; null: any (a module policy that does not name them). */
export function policyTargets(spec: PolicySpec): string[] | null {
  if (spec.name === 'module') return spec.deployments ?? null;
  if (spec.name === 'ipa') return spec.stages.flatMap((stage) => stage.deployments);
  if ('deployments' in spec) return spec.deployments;
  return 'deployment' in spec ? [spec.deployment] : [];
}
