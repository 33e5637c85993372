import { actionSchema } from '../control/action-schema.js';
import type { Observation, Policy } from '../control/types.js';
import { InputError } from '../errors.js';
import { host } from '../io/files.js';
import type { ModulePolicySpec } from '../policies/module.js';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/**
 * Loads a user's policy module (see policies/module.ts) from `path` and checks what it returns:
 * the policy's fields at once, every action it decides when it decides. Anything wrong is one
 * line naming the module.
 */
export async function loadPolicyModule(spec: ModulePolicySpec, path: string): Promise<Policy> {
  const fail = (what: string) => new InputError(`policy module "${spec.module}": ${what}`);
  let exported: unknown;
  try {
    exported = await host().importDefault(path);
  } catch (error) {
    throw fail(`cannot load it (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  if (typeof exported !== 'function') throw fail('expected a default export that is a function (options) => policy');
  let made: unknown;
  try {
    made = exported(spec.options);
  } catch (error) {
    throw fail(`its default export threw: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isObject(made)) throw fail('expected its default export to return a policy object');
  const { name, intervalSeconds, firstDecisionSeconds, decide } = made;
  if (typeof name !== 'string' || name === '') throw fail('expected the policy to have a name (a non-empty string)');
  if (typeof intervalSeconds !== 'number' || !(intervalSeconds > 0) || !Number.isFinite(intervalSeconds)) throw fail('expected intervalSeconds, a positive number');
  if (typeof firstDecisionSeconds !== 'number' || !(firstDecisionSeconds >= 0) || !Number.isFinite(firstDecisionSeconds)) {
    throw fail('expected firstDecisionSeconds, a number ≥ 0');
  }
  if (typeof decide !== 'function') throw fail('expected decide(observation), a function');
  return {
    name,
    intervalSeconds,
    firstDecisionSeconds,
    decide(observation: Observation) {
      let actions: unknown;
      try {
        actions = decide.call(made, observation);
      } catch (error) {
        throw fail(`decide threw: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!Array.isArray(actions)) throw fail('expected decide to return an array of actions');
      return actions.map((action, i) => {
        const checked = actionSchema.safeParse(action);
        if (!checked.success) {
          const issue = checked.error.issues[0];
          throw fail(`action ${i} of the decision at ${observation.now} s is malformed: ${issue.path.join('.') || 'action'}: ${issue.message} (${JSON.stringify(action)})`);
        }
        return checked.data;
      });
    },
  };
}
