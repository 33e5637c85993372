/**
 * servesim as a library: `import { runSpec, validateSpec } from 'servesim'`. What is exported here
 * is the public API (documented in the README, "servesim as a library"); everything else may
 * change between versions.
 */

// Specs and runs.
export { loadSpec, validateSpec } from './experiment/load-spec.js';
export { specSchema, specPolicies, type Spec, type SpecInput } from './experiment/spec.js';
export { runSpec, type RunOptions, type RunTracer } from './experiment/run.js';
export { TraceEventWriter, type TraceEventOptions } from './report/trace-events.js';
export type { Summary, DeploymentSummary, Timing } from './experiment/summary.js';
export type { WindowRow } from './metrics/timeseries.js';
export { measureCapacity, type CapacityOptions, type CapacityResult, type PodUnderTest } from './experiment/capacity.js';

// A simulated world to drive by hand: the engine, the cluster built from a spec, its control plane.
export { Simulator } from './engine/simulator.js';
export { RandomStreams } from './engine/random.js';
export { RunMetrics } from './metrics/run-metrics.js';
export { buildWorld, type World } from './experiment/build.js';
export { SimulatedControlPlane } from './cluster/control-plane.js';
export { Request } from './workload/request.js';

// Policies: what a controller sees and does, the loop that runs it, and the built-in ones.
export type { Action, DeploymentObservation, Observation, PodObservation, Policy, Strategy } from './control/types.js';
export { ControlLoop, type Clock, type ControlPlane, type Decision, type ScopedPolicy } from './control/loop.js';
export { actionSchema } from './control/action-schema.js';
export { Hpa, hpaSchema } from './policies/hpa.js';
export { Vpa, vpaSchema } from './policies/vpa.js';
export { Kpa, kpaSchema } from './policies/kpa.js';
export { Keda, kedaSchema } from './policies/keda.js';
export { InfAdapter, infadapterSchema, msPlusSchema } from './policies/infadapter.js';
export { Ipa, ipaSchema } from './policies/ipa.js';
export { Sponge, spongeSchema } from './policies/sponge.js';
export type { LoadPredictor } from './policies/predictors/predictor.js';
