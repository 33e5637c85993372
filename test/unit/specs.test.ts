import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDataFiles } from '../../src/cli/paths.js';
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
  const shipped = [...specFiles('experiments'), ...specFiles('examples'), 'bench/mmc.json'];
  it.each(shipped)('%s is valid', (file) => {
    expect(() => validateSpec(readSpecFile(file), file)).not.toThrow();
  });

  // Profiles under runs/ are written by `servesim profile` on the user's machine, not shipped.
  it.each(shipped)('%s: the data files it names pass their checks (where shipped)', (file) => {
    const spec = validateSpec(readSpecFile(file), file);
    if (spec.deployments.some((d) => d.profile?.file?.startsWith('runs/'))) return;
    expect(() => checkDataFiles(spec, file)).not.toThrow();
  });

  it('experiments/schema.json is the JSON Schema the code exports (run `make schema` after changing a spec schema)', () => {
    expect(JSON.parse(readFileSync('experiments/schema.json', 'utf8'))).toEqual(specJsonSchema());
  });
});
