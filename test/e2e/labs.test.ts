import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { figureOf, listLabs, readKey, withinTolerance } from '../../src/experiment/labs.js';
import { loadSpec } from '../../src/experiment/load-spec.js';
import { servesim, tempDir } from '../helpers/cli.js';

/**
 * Every lab's key against fresh runs: each numeric answer must be what `servesim lab run` gives,
 * within its tolerance, so a change to the simulator that moves a lab's figures shows here and
 * the lab never rots. `servesim lab check` then accepts those figures and refuses a wrong one.
 */
const labs = listLabs();

describe('labs', () => {
  it('at least six labs, each with a handout and specs servesim accepts', () => {
    expect(labs.length).toBeGreaterThanOrEqual(6);
    for (const lab of labs) {
      expect(readFileSync(join(lab.folder, 'README.md'), 'utf8')).toMatch(/^# Lab \d+/);
      expect(lab.specs.length).toBeGreaterThan(0);
      for (const spec of lab.specs) expect(() => loadSpec(spec)).not.toThrow();
    }
  });

  it.each(labs.map((lab) => [lab.number, lab] as const))('lab %i: the key holds on fresh runs, and lab check takes its answers', (number, lab) => {
    const key = readKey(lab);
    const names = lab.specs.map((file) => loadSpec(file).name);
    const out = tempDir();
    const run = servesim('lab', 'run', String(number), '--out', out, '-q');
    expect(run.status, run.stderr).toBe(0);
    const answers: Record<string, number> = {};
    for (const q of key.questions) {
      expect(names, `question ${q.id}: its run`).toContain(q.source.run);
      const summary = JSON.parse(readFileSync(join(out, q.source.run, 'summary.json'), 'utf8'));
      const figure = figureOf(summary, q.source.field);
      expect(figure, `question ${q.id}: ${q.source.run} ${q.source.field}`).toBeTypeOf('number');
      expect(withinTolerance(q, figure as number), `question ${q.id}: ${q.source.run} ${q.source.field} = ${figure}, key ${q.answer} ${JSON.stringify(q.tolerance)}`).toBe(true);
      answers[q.id] = figure as number;
    }
    const file = join(out, 'answers.json');
    writeFileSync(file, JSON.stringify(answers));
    const checked = servesim('lab', 'check', String(number), file);
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
    const first = key.questions[0];
    writeFileSync(file, JSON.stringify({ ...answers, [first.id]: first.answer * 10 + 1 }));
    const wrong = servesim('lab', 'check', String(number), file);
    expect(wrong.status).toBe(3);
    expect(wrong.stdout).toContain('outside the tolerance');
  }, 180_000);

  it('lab check: bad answers are exit 2 naming the file and the question', () => {
    const dir = tempDir();
    const file = join(dir, 'answers.json');
    const id = readKey(labs[0]).questions[0].id;
    writeFileSync(file, JSON.stringify({ [id]: 'twenty' }));
    const r = servesim('lab', 'check', String(labs[0].number), file);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`servesim: ${file}: "${id}": expected a number, got "twenty"`);
    const unknown = servesim('lab', 'run', '99');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^servesim: lab: expected a lab number, one of /);
  });
});
