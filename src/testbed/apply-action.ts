import type { Action } from '../policies/types.js';
import type { RealDeployment, ServerTemplate } from './actuator.js';
import type { RealStage } from './real-stage.js';

/** The model file and input size of a testbed variant, for servers that start serving it. */
export type ModelFor = (variant: string) => Pick<ServerTemplate, 'model' | 'imageSize'>;

/**
 * Carries out one policy action on real servers, as experiment/controller.ts does on simulated
 * pods, and says whether it counts as a reconfiguration there (an action that changes nothing and
 * a template change do not). Where the real world cannot do what the simulator does, the nearest
 * real action stands in: a resize "in place" is a rolling update (a session's threads are fixed
 * at start-up) and resizing one pod is evicting it (its replacement takes the template's cores).
 */
export function applyAction(action: Action, stage: RealStage, deployments: Map<string, RealDeployment>, modelFor: ModelFor): boolean {
  if (action.kind === 'weights') {
    if (action.stage === stage.name) stage.setWeights(action.weights);
    return true;
  }
  const d = deployments.get(action.deployment);
  if (d === undefined) return false;
  const current = d.observe();
  switch (action.kind) {
    case 'scale':
      if (action.replicas === current.replicas) return false;
      d.scaleTo(Math.max(0, Math.round(action.replicas)));
      return true;
    case 'resize':
      if (action.cores === current.coresPerReplica) return false;
      d.resize(action.cores, action.strategy === 'recreate' ? 'recreate' : 'rolling');
      return true;
    case 'replace':
      if (action.variant === current.variant) return false;
      d.replace(action.variant, modelFor(action.variant), action.strategy);
      return true;
    case 'template':
      d.setTemplateCores(action.cores);
      return false;
    case 'evict':
    case 'resize-pod':
      if (!current.pods.some((p) => p.id === action.pod && p.phase !== 'Terminating')) return false;
      d.evict(action.pod);
      return true;
    case 'batch':
      // The same bounds the simulated deployment's setBatching applies.
      void d.setBatching(Math.max(1, Math.round(action.maxBatch)), Math.max(0, action.maxWaitSeconds) * 1000);
      return true;
  }
}
