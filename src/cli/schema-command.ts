import { z } from 'zod';
import { specSchema } from '../experiment/spec.js';

/** The JSON Schema of specs, for editors: completion and checking as you type. */
export function specJsonSchema(): object {
  return {
    ...z.toJSONSchema(specSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'servesim experiment spec',
  };
}

export function schemaCommand(): void {
  process.stdout.write(`${JSON.stringify(specJsonSchema(), null, 2)}\n`);
}
