// A policy of your own, loaded by servesim from a spec:
//   "policy": { "name": "module", "module": "./queue-scaler.mjs", "options": { "deployment": "svc" } }
// The default export receives the spec's `options` and returns the policy: a name, when it first
// decides and how often, and decide(observation) returning actions (see the README, "Policies").
// This one scales a deployment on the requests waiting in its queue, as queue-length autoscalers
// (KEDA's queue scalers) do: up at once to one replica per `waitingPerReplica` waiting requests,
// down by one replica after `quietDecisions` decisions in a row with nothing waiting.

export default function queueScaler(options) {
  const deployment = options.deployment;
  const waitingPerReplica = options.waitingPerReplica ?? 10;
  const quietDecisions = options.quietDecisions ?? 6;
  const min = options.minReplicas ?? 1;
  const max = options.maxReplicas ?? 20;
  let quiet = 0;
  return {
    name: 'queue-scaler',
    intervalSeconds: options.intervalSeconds ?? 10,
    firstDecisionSeconds: options.intervalSeconds ?? 10,
    decide(observation) {
      const d = observation.deployments.find((x) => x.name === deployment);
      if (d === undefined) return [];
      quiet = d.queueLength === 0 ? quiet + 1 : 0;
      let replicas = Math.max(d.replicas, Math.ceil(d.queueLength / waitingPerReplica));
      if (quiet >= quietDecisions) {
        replicas = d.replicas - 1;
        quiet = 0;
      }
      replicas = Math.min(max, Math.max(min, replicas));
      return replicas === d.replicas ? [] : [{ kind: 'scale', deployment, replicas }];
    },
  };
}
