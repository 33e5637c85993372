import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { specJsonSchema } from '../../src/cli/schema-command.js';
import { validateSpec } from '../../src/experiment/load-spec.js';
import { readSpecFile } from '../../src/experiment/spec-variants.js';

function specFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return specFiles(path);
    return name.endsWith('.json') && name !== 'schema.json' ? [path] : [];
  });
}

describe('shipped specs', () => {
  // An override (`<base>.<variant>.json`) is checked as the spec it stands for: its base with it applied.
  it.each([...specFiles('experiments'), 'bench/mmc.json'])('%s is valid', (file) => {
    expect(() => validateSpec(readSpecFile(file), file)).not.toThrow();
  });

  it('experiments/schema.json is the JSON Schema the code exports (run `make schema` after changing a spec schema)', () => {
    expect(JSON.parse(readFileSync('experiments/schema.json', 'utf8'))).toEqual(specJsonSchema());
  });
});
