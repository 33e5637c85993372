import { z } from 'zod';
import { Hpa, hpaSchema } from './hpa.js';
import { InfAdapter, infadapterSchema, msPlusSchema, type VariantInfo } from './infadapter.js';
import { infadapterEwma, infadapterLstm, loadLstmFile, shippedLstmPath } from './predictors/lstm.js';
import { maxOverWindow } from './predictors/simple.js';
import type { LoadPredictor } from './predictors/predictor.js';
import { staticPolicySchema } from './static.js';
import type { Policy } from './types.js';
import { Vpa, vpaSchema } from './vpa.js';

/** Every policy a spec can name, told apart by `name`. */
export const policySchema = z.discriminatedUnion('name', [staticPolicySchema, hpaSchema, vpaSchema, infadapterSchema, msPlusSchema]);

export type PolicySpec = z.infer<typeof policySchema>;

/** What building a policy needs to know of the world, as plain data. */
export interface PolicyContext {
  metricWindowSeconds: number;
  /** The variants behind these deployments (accuracy, model load time). */
  variants(deployments: string[]): VariantInfo[];
}

/** InfAdapter's forecast: the shipped LSTM or a stand-in, each with the margin. */
function infadapterPredictor(kind: 'lstm' | 'ewma' | 'max', margin: number): LoadPredictor {
  if (kind === 'lstm') return infadapterLstm(loadLstmFile(shippedLstmPath('infadapter-lstm')), { margin });
  if (kind === 'ewma') return infadapterEwma({ margin });
  const max = maxOverWindow(600);
  return { name: 'max-600s', predict: (history) => max.predict(history) * (1 + margin) };
}

/** The controller a spec names; null for static (nothing ever changes). */
export function createPolicy(spec: PolicySpec, context: PolicyContext): Policy | null {
  switch (spec.name) {
    case 'static':
      return null;
    case 'hpa':
      return new Hpa(spec, context.metricWindowSeconds);
    case 'vpa':
      return new Vpa(spec);
    case 'infadapter':
    case 'ms+':
      return new InfAdapter(spec, context.variants(spec.deployments), infadapterPredictor(spec.predictor, spec.margin));
  }
}

/** The deployments a policy acts on. */
export function policyTargets(spec: PolicySpec): string[] {
  if ('deployments' in spec) return spec.deployments;
  return 'deployment' in spec ? [spec.deployment] : [];
}
