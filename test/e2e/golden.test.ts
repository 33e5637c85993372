import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CALIBRATION_SLO_MS, compareWithTable, fitThroughput } from '../../src/experiment/calibrate.js';
import { readInfAdapterCapacity } from '../../src/profiles/infadapter.js';
import { servesim, tempDir } from '../helpers/cli.js';

/**
 * The committed reference results (results/, written by `make results`) are what the code
 * produces now: quick reruns of the reproductions, the policy runs and a sample of the
 * calibration must match them exactly, wall-clock figures aside. A change that moves a result
 * must regenerate it (`make results`) in the same commit.
 */
const read = (path: string) => readFileSync(path, 'utf8');
const lines = (path: string) => read(path).trimEnd().split('\n');
const csv = (path: string) => {
  const [header, ...rows] = lines(path);
  const names = header.split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((value, i) => [names[i], value])));
};
const without = (row: Record<string, string>, columns: string[]) => Object.fromEntries(Object.entries(row).filter(([name]) => !columns.includes(name)));
const ok = (r: { status: number | null; stderr: string }) => expect(r.status, r.stderr).toBe(0);

describe('golden results', () => {
  it('reproduce infadapter --quick gives the committed seed-1 rows', () => {
    const out = tempDir();
    ok(servesim('reproduce', 'infadapter', '--quick', '--quiet', '--out', out));
    const committed = lines('results/paper/infadapter/table.csv');
    expect(lines(join(out, 'table.csv'))).toEqual([committed[0], ...committed.slice(1).filter((row) => row.split(',')[1] === '1')]);
  });

  it('reproduce ipa --quick gives the committed seed-1 bursty rows and predictor ablation', () => {
    const out = tempDir();
    ok(servesim('reproduce', 'ipa', '--quick', '--quiet', '--out', out));
    const committed = lines('results/paper/ipa/table.csv');
    const column = committed[0].split(',');
    const bursty = committed.slice(1).filter((row) => {
      const cells = row.split(',');
      return cells[column.indexOf('workload')] === 'bursty' && cells[column.indexOf('seed')] === '1';
    });
    expect(lines(join(out, 'table.csv'))).toEqual([committed[0], ...bursty]);
    const ablation = csv('results/paper/ipa/ablation.csv').filter((r) => r.seed === '1');
    expect(csv(join(out, 'ablation.csv'))).toEqual(ablation);
  });

  it('reproduce sponge --quick gives the committed seed-1 rows at 20 requests/s', () => {
    const out = tempDir();
    ok(servesim('reproduce', 'sponge', '--quick', '--quiet', '--out', out));
    const committed = csv('results/paper/sponge/table.csv').filter((r) => r.seed === '1' && r.rate_rps === '20');
    expect(csv(join(out, 'table.csv'))).toEqual(committed);
  });

  it('reproduce biathlon --quick gives the committed rows (measured times aside)', () => {
    const out = tempDir();
    const pipelines = ['trip-fare', 'tick-price'];
    ok(servesim('reproduce', 'biathlon', '--quick', '--quiet', '--pipelines', pipelines.join(','), '--out', out));
    // Wall-clock columns: the in-memory speedup and times measured in this process.
    const measured = ['speedup', 'exact_ms', 'approx_ms', 'approx_p50_ms', 'approx_p99_ms'];
    for (const file of ['table.csv', 'details.csv']) {
      const committed = csv(join('results/paper/biathlon/quick', file)).filter((r) => pipelines.includes(r.pipeline));
      expect(csv(join(out, file)).map((r) => without(r, measured))).toEqual(committed.map((r) => without(r, measured)));
    }
  });

  it.each(['hpa-twitter-2h', 'vpa-twitter-2h'])('servesim run %s gives the committed summary and time series', (name) => {
    const out = tempDir();
    ok(servesim('run', `experiments/policies/${name}.json`, '--quiet', '--out', out));
    const summary = (dir: string) => without(JSON.parse(read(join(dir, 'summary.json'))), ['wallSeconds', 'timing', 'provenance']);
    expect(summary(out)).toEqual(summary(`results/policies/${name}`));
    expect(read(join(out, 'timeseries.csv'))).toBe(read(`results/policies/${name}/timeseries.csv`));
  });

  it('calibration: a sample of pods refits to the shipped profile and compares as committed', async () => {
    const table = 'profiles/infadapter/capacity_result_Feb_21.csv';
    const cvs = new Map(csv('results/calibration/infadapter_cv.csv').map((r) => [r.variant, Number(r.cv)]));
    const shipped = csv('profiles/infadapter/calibrated_service_times.csv');
    const sample = [
      ['resnet18', 1],
      ['resnet50', 8],
      ['resnet152', 20],
    ] as const;
    for (const [variant, cores] of sample) {
      const row = readInfAdapterCapacity(table).find((r) => r.variant === variant && r.cores === cores && r.sloMs === CALIBRATION_SLO_MS);
      const throughput = await fitThroughput(row as NonNullable<typeof row>, cvs.get(variant) as number, 1);
      const profiled = shipped.find((p) => p.variant === variant && Number(p.cores) === cores);
      expect(Number(throughput.toFixed(3)), `${variant} on ${cores} cores`).toBe(Number(profiled?.throughput_rps));
      const cells = await compareWithTable(table, 'profiles/infadapter/calibrated_service_times.csv', { seed: 1, variants: [variant], cores: [cores] });
      const committed = csv('results/calibration/infadapter_capacity.csv').filter((r) => r.variant === variant && Number(r.cores) === cores);
      expect(cells.map((c) => String(c.predictedRps))).toEqual(committed.map((r) => r.simulated_rps));
    }
  });

  it('the shipped predictor weights score on the test days as their files say', () => {
    const out = tempDir();
    ok(servesim('train-predictors', '--score-only', '--quiet', '--out', out));
    for (const name of ['infadapter-lstm', 'ipa-lstm']) {
      expect(JSON.parse(read(join(out, `${name}.json`))), name).toEqual(JSON.parse(read(`profiles/predictors/${name}.json`)));
    }
  });
});
