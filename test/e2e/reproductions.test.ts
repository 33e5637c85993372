import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSpec } from '../../src/experiment/load-spec.js';
import { csvText } from '../../src/report/csv-table.js';
import { CATALOG } from '../../src/reproductions/catalog.js';
import { REPRODUCTIONS } from '../../src/reproductions/index.js';
import { mergeOverride, overriddenSpec, readSpecFile } from '../../src/experiment/spec-variants.js';
import { servesim, tempDir } from '../helpers/cli.js';

describe('mergeOverride', () => {
  const base = {
    name: 'base',
    seed: 1,
    deployments: [
      { name: 'a', replicas: 0, cores: 2, profile: { name: 'p', variant: 'a' } },
      { name: 'b', replicas: 1, cores: 20 },
    ],
    policy: { name: 'infadapter', stage: 'classify', deployments: ['a', 'b'] },
    weights: [0, 1],
  };

  it('merges objects key by key, replaces values and lists of values, and removes keys set to null', () => {
    expect(mergeOverride(base, { seed: 2, weights: [1, 0], policy: { name: 'vpa', stage: null, deployments: null, deployment: 'a' } })).toEqual({
      ...base,
      seed: 2,
      weights: [1, 0],
      policy: { name: 'vpa', deployment: 'a' },
    });
  });

  it('merges a list of named objects item by item on name, keeping the base order and appending new names', () => {
    const merged = mergeOverride(base, { deployments: [{ name: 'b', replicas: 0 }, { name: 'c', replicas: 3 }, { name: 'a', profile: { variant: 'x' } }] });
    expect((merged as typeof base).deployments).toEqual([
      { name: 'a', replicas: 0, cores: 2, profile: { name: 'p', variant: 'x' } },
      { name: 'b', replicas: 0, cores: 20 },
      { name: 'c', replicas: 3 },
    ]);
  });

  it('replaces a list when the override list is empty or not all named', () => {
    expect(mergeOverride({ list: [{ name: 'a' }] }, { list: [] })).toEqual({ list: [] });
    expect(mergeOverride({ list: [{ name: 'a', x: 1 }] }, { list: [{ x: 2 }] })).toEqual({ list: [{ x: 2 }] });
  });

  it('modifies neither argument', () => {
    const before = structuredClone(base);
    const override = { deployments: [{ name: 'a', replicas: 5 }], policy: { stage: null } };
    const overrideBefore = structuredClone(override);
    mergeOverride(base, override);
    expect(base).toEqual(before);
    expect(override).toEqual(overrideBefore);
  });
});

describe('spec files with overrides', () => {
  it('names the base of an override by its file name; a whole spec has none', () => {
    expect(overriddenSpec('experiments/paper/biathlon/tick-price.exact.json')).toBe('experiments/paper/biathlon/tick-price.json');
    expect(overriddenSpec('experiments/paper/infadapter/infadapter.ms+.json')).toBe('experiments/paper/infadapter/infadapter.json');
    expect(overriddenSpec('experiments/paper/infadapter/infadapter.json')).toBeNull();
  });

  it('reads an override as its base with it applied, and a whole spec as it is', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'svc.json'), JSON.stringify({ name: 'svc', deployments: [{ name: 'd', replicas: 2 }] }));
    writeFileSync(join(dir, 'svc.big.json'), JSON.stringify({ name: 'svc-big', deployments: [{ name: 'd', replicas: 8 }] }));
    expect(readSpecFile(join(dir, 'svc.json'))).toEqual({ name: 'svc', deployments: [{ name: 'd', replicas: 2 }] });
    expect(readSpecFile(join(dir, 'svc.big.json'))).toEqual({ name: 'svc-big', deployments: [{ name: 'd', replicas: 8 }] });
  });

  it("gives every paper's specs distinct names, each valid", () => {
    for (const [name, reproduction] of Object.entries(REPRODUCTIONS)) {
      expect(reproduction.name).toBe(name);
      const specs = reproduction.specs();
      expect(new Set(specs.map((s) => s.name)).size).toBe(specs.length);
      for (const spec of specs) expect(() => validateSpec(spec, spec.name)).not.toThrow();
    }
    expect(REPRODUCTIONS.infadapter.specs().map((s) => s.name)).toEqual(['infadapter', 'ms+', 'vpa-18', 'vpa-34', 'vpa-50', 'vpa-101', 'vpa-152']);
  });

  it('lists in the command line\'s catalog every paper, in the same order, loading the very reproduction its description belongs to', async () => {
    expect(CATALOG.map((p) => p.about.name)).toEqual(Object.keys(REPRODUCTIONS));
    for (const { about, load } of CATALOG) {
      const reproduction = await load();
      expect(reproduction).toBe(REPRODUCTIONS[about.name]);
      expect(reproduction).toMatchObject(about);
    }
  });
});

describe('report CSV', () => {
  it('quotes the fields that need it', () => {
    expect(csvText({ header: ['policy', 'seed'], rows: [['my,run', 1], ['say "hi"', 2], ['plain', 0.5]] })).toBe('policy,seed\n"my,run",1\n"say ""hi""",2\nplain,0.5\n');
  });
});

describe('servesim reproduce', () => {
  it('--list prints each paper with its description, options and specs', () => {
    const r = servesim('reproduce', '--list');
    expect(r.status, r.stderr).toBe(0);
    for (const reproduction of Object.values(REPRODUCTIONS)) {
      expect(r.stdout).toContain(`${reproduction.name}: ${reproduction.description}`);
      for (const option of reproduction.options) expect(r.stdout).toContain(option.flags);
    }
    expect(r.stdout).toContain('--seeds <n>');
    expect(r.stdout).toContain('--cost-model <file>');
    expect(r.stdout).toContain('specs: infadapter, ms+, vpa-18');
  });

  it.each([
    [['reproduce', 'vidur'], 'servesim: reproduce: unknown paper "vidur"; expected one of infadapter, ipa, sponge, biathlon'],
    [['reproduce'], 'servesim: reproduce: expected a paper (infadapter, ipa, sponge, biathlon) or --list'],
    [['reproduce', 'infadapter', '--calibrate'], "error: unknown option '--calibrate'"],
    [['reproduce', 'biathlon', '--seeds', '2'], "error: unknown option '--seeds'"],
  ])('%j is bad input: exit 2, one line', (args, message) => {
    const r = servesim(...args, '--out', tempDir());
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(message);
  });

  it('reproduce ipa --quick writes the contract: table.csv and ablation.csv with their columns, the figures and report.html', () => {
    const out = tempDir();
    const r = servesim('reproduce', 'ipa', '--quick', '--quiet', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const rows = (file: string) => {
      const [header, ...lines] = readFileSync(join(out, file), 'utf8').trimEnd().split('\n');
      return lines.map((line) => Object.fromEntries(line.split(',').map((value, i) => [header.split(',')[i], value])));
    };
    const table = rows('table.csv');
    expect(Object.keys(table[0])).toEqual(expect.arrayContaining(['pipeline', 'workload', 'policy', 'seed', 'slo_violation_rate', 'mean_cores', 'accuracy', 'p99_ms']));
    expect(table.map((row) => [row.pipeline, row.workload, row.policy])).toEqual(['ipa', 'fa2-low', 'fa2-high', 'rim'].map((policy) => ['video', 'bursty', policy]));
    for (const row of table) {
      expect(Number(row.accuracy)).toBeGreaterThan(0);
      expect(Number(row.accuracy)).toBeLessThanOrEqual(1);
    }
    // FA2-low is pinned to yolov5n and resnet18: its end-to-end accuracy is their product.
    expect(Number(table[1].accuracy)).toBeCloseTo(0.457 * 0.6975, 5);
    const ablation = rows('ablation.csv');
    expect(Object.keys(ablation[0])).toEqual(expect.arrayContaining(['pipeline', 'predictor', 'slo_violations', 'requests']));
    expect(ablation.map((row) => [row.pipeline, row.predictor, row.requests])).toEqual([
      ['video', 'lstm', '14437'],
      ['video', 'reactive', '14437'],
    ]);
    // One seed: IPA against each baseline on bursty, the mean differences without intervals.
    const pairs = rows('pairs.csv');
    expect(Object.keys(pairs[0])).toEqual(['workload', 'a', 'b', 'metric', 'seeds', 'mean_a', 'mean_b', 'mean_diff', 'ci_low', 'ci_high', 'significant', 'paired_half_width', 'unpaired_half_width', 'width_ratio']);
    expect(pairs.map((row) => [row.workload, row.a, row.b, row.metric])).toEqual(['fa2-low', 'fa2-high', 'rim'].flatMap((a) => ['accuracy', 'mean_cores', 'slo_violation_rate'].map((metric) => ['bursty', a, 'ipa', metric])));
    for (const row of pairs) expect([row.seeds, row.ci_low, row.ci_high, row.significant]).toEqual(['1', '', '', '']);
    expect(Number(pairs[1].mean_diff)).toBeCloseTo(Number(table[0].mean_cores) - Number(table[1].mean_cores), 3);
    for (const figure of ['comparison', 'timeseries', 'latency_cdf', 'decision_time', 'ablation']) {
      for (const extension of ['svg', 'png']) expect(readFileSync(join(out, `${figure}.${extension}`)).length, `${figure}.${extension}`).toBeGreaterThan(1000);
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('IPA reproduced with servesim');
    expect(html).toContain('Paired differences');
  });

  it('reproduce sponge --quick writes the contract: table.csv with its columns for sponge, fa2, static-16 (and vpa) at 500 KB, the figures and report.html', () => {
    const out = tempDir();
    const r = servesim('reproduce', 'sponge', '--quick', '--quiet', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const [header, ...lines] = readFileSync(join(out, 'table.csv'), 'utf8').trimEnd().split('\n');
    const table = lines.map((line) => Object.fromEntries(line.split(',').map((value, i) => [header.split(',')[i], value])));
    expect(header.split(',')).toEqual(expect.arrayContaining(['policy', 'rate_rps', 'image_kb', 'seed', 'slo_violation_rate', 'mean_cores', 'p99_ms']));
    expect(new Set(table.map((row) => row.policy))).toEqual(new Set(['sponge', 'fa2', 'static-16', 'vpa']));
    expect(table.filter((row) => row.image_kb === '500').map((row) => row.policy)).toEqual(['sponge', 'fa2', 'static-16', 'vpa']);
    // The static pod holds its 16 cores; Sponge resizes one pod well below that.
    for (const row of table.filter((r) => r.policy === 'static-16')) expect(Number(row.mean_cores)).toBe(16);
    for (const row of table.filter((r) => r.policy === 'sponge')) expect(Number(row.mean_cores)).toBeLessThan(16);
    for (const figure of ['comparison', 'timeseries', 'latency_cdf']) {
      for (const extension of ['svg', 'png']) expect(readFileSync(join(out, `${figure}.${extension}`)).length, `${figure}.${extension}`).toBeGreaterThan(1000);
    }
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('Sponge reproduced with servesim');
  });

  it('servesim run takes a variant file, its override applied to its base', () => {
    const out = tempDir();
    const r = servesim('run', 'experiments/paper/biathlon/tick-price.exact.json', '--out', out, '-q', '--set', 'duration=60');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).name).toBe('tick-price-exact');
  });
});
