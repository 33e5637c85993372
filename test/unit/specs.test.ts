import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDataFiles } from '../../src/cli/paths.js';
import { specJsonSchema, sweepJsonSchema } from '../../src/cli/schema-command.js';
import { planSweep } from '../../src/experiment/sweep.js';
import { validateSpec } from '../../src/experiment/load-spec.js';
import { readSpecFile } from '../../src/experiment/spec-variants.js';

/** Spec files under a folder: every .json but the schemas and the sweeps (experiments/sweeps/, checked below). */
function specFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return path === join('experiments', 'sweeps') ? [] : specFiles(path);
    return name.endsWith('.json') && !name.endsWith('schema.json') ? [path] : [];
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

  it.each(readdirSync('experiments/sweeps').map((name) => join('experiments/sweeps', name)))('sweep %s: every run it asks for is a valid spec', (file) => {
    expect(planSweep(file).runs.length).toBeGreaterThan(0);
  });

  it('experiments/sweep.schema.json is the JSON Schema of sweep files the code exports', () => {
    expect(JSON.parse(readFileSync('experiments/sweep.schema.json', 'utf8'))).toEqual(sweepJsonSchema());
  });
});
