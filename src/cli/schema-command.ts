import { z } from 'zod';
import { InputError } from '../errors.js';
import { specSchema } from '../experiment/spec.js';
import { sweepSchema } from '../experiment/sweep.js';

/** The JSON Schema of specs, for editors: completion and checking as you type. */
export function specJsonSchema(): object {
  return {
    ...z.toJSONSchema(specSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'servesim experiment spec',
  };
}

/** The JSON Schema of sweep files. */
export function sweepJsonSchema(): object {
  return { ...z.toJSONSchema(sweepSchema, { io: 'input', unrepresentable: 'any' }), title: 'servesim sweep' };
}

export function schemaCommand(kind = 'spec'): void {
  if (kind !== 'spec' && kind !== 'sweep') throw new InputError(`schema: expected "spec" or "sweep", got "${kind}"`);
  process.stdout.write(`${JSON.stringify(kind === 'spec' ? specJsonSchema() : sweepJsonSchema(), null, 2)}\n`);
}
