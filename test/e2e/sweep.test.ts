import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servesim, tempDir } from '../helpers/cli.js';

/** M/M/c at 360 requests/s with 10 ms service: a run takes a fraction of a second. */
const spec = (duration: number) => ({
  name: 'mmc',
  seed: 7,
  duration,
  workload: { arrivals: { process: 'poisson', rate: 360 } },
  deployments: [{ name: 'svc', replicas: 4, serviceTime: { dist: 'exponential', mean: 0.01 } }],
});

/** The contract's sweep: its base relative to the sweep file. */
function sweepIn(dir: string, duration = 20, sweep: object = { base: 'spec.json', grid: { 'deployments.0.replicas': [3, 4, 5] }, seeds: [1, 2] }): string {
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec(duration)));
  const file = join(dir, 'sweep.json');
  writeFileSync(file, JSON.stringify(sweep));
  return file;
}

const read = (path: string) => readFileSync(path, 'utf8');
const ok = (r: { status: number | null; stderr: string }) => expect(r.status, r.stderr).toBe(0);
const rows = (path: string) => read(path).trimEnd().split('\n').map((line) => line.split(','));

describe('servesim sweep', () => {
  it('runs.csv: one row per grid point and seed in that order, the contract columns, byte-identical on 1 and 2 workers', () => {
    const dir = tempDir();
    const file = sweepIn(dir);
    ok(servesim('sweep', file, '--out', join(dir, 'one'), '--workers', '1', '-q'));
    ok(servesim('sweep', file, '--out', join(dir, 'two'), '--workers', '2', '-q'));
    const [header, ...body] = rows(join(dir, 'one', 'runs.csv'));
    for (const column of ['seed', 'deployments.0.replicas', 'requests', 'completed', 'dropped', 'latency_p99_ms', 'slo_violation_rate', 'mean_cores']) expect(header).toContain(column);
    expect(header.some((c) => /wall|elapsed|solve/.test(c))).toBe(false);
    const at = (name: string) => header.indexOf(name);
    expect(body.map((r) => [r[at('deployments.0.replicas')], r[at('seed')]])).toEqual([['3', '1'], ['3', '2'], ['4', '1'], ['4', '2'], ['5', '1'], ['5', '2']]);
    expect(body.map((r) => r[at('mean_cores')])).toEqual(['3', '3', '4', '4', '5', '5']);
    // Every request is accounted for in every run.
    for (const r of body) expect(Number(r[at('completed')]) + Number(r[at('dropped')]) + Number(r[at('in_flight')])).toBe(Number(r[at('requests')]));
    expect(read(join(dir, 'two', 'runs.csv'))).toBe(read(join(dir, 'one', 'runs.csv')));
    expect(read(join(dir, 'two', 'pairs.csv'))).toBe(read(join(dir, 'one', 'pairs.csv')));
    expect(readdirSync(join(dir, 'one', 'runs')).sort()).toEqual(['p0-seed1', 'p0-seed2', 'p1-seed1', 'p1-seed2', 'p2-seed1', 'p2-seed2']);
    const summary = JSON.parse(read(join(dir, 'one', 'runs', 'p1-seed2', 'summary.json')));
    expect(summary.seed).toBe(2);
    expect(summary.provenance.specSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(summary.provenance.command.slice(0, 2)).toEqual(['sweep', file]);
  });

  it('shards merge into the unsharded runs.csv and pairs.csv; a missing shard is named', () => {
    const dir = tempDir();
    const file = sweepIn(dir);
    ok(servesim('sweep', file, '--out', join(dir, 'all'), '-q'));
    ok(servesim('sweep', file, '--out', join(dir, 's0'), '--shard', '0/2', '-q'));
    ok(servesim('sweep', file, '--out', join(dir, 's1'), '--shard', '1/2', '-q'));
    expect(rows(join(dir, 's0', 'runs.csv')).length + rows(join(dir, 's1', 'runs.csv')).length).toBe(2 + 6);
    const lone = servesim('sweep-merge', join(dir, 's0'), '--out', join(dir, 'lone'));
    expect(lone.status).toBe(2);
    expect(lone.stderr).toMatch(/^servesim: 2 of 6 runs are in none of the folders \(first: p1-seed1\)/);
    ok(servesim('sweep-merge', join(dir, 's1'), join(dir, 's0'), '--out', join(dir, 'merged'), '-q'));
    for (const table of ['runs.csv', 'pairs.csv']) expect(read(join(dir, 'merged', table))).toBe(read(join(dir, 'all', table)));
  });

  it('a sweep killed with SIGKILL and resumed gives the same runs.csv as one never stopped', async () => {
    const dir = tempDir();
    const file = sweepIn(dir, 150, { base: 'spec.json', grid: { 'deployments.0.replicas': [4, 5, 6, 7] }, seeds: [1, 2, 3] });
    const out = join(dir, 'killed');
    const child = spawn(process.execPath, ['bin/servesim.js', 'sweep', file, '--out', out, '--workers', '1', '-q'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Killed once the first run is complete, long before the last.
    const complete = () => (existsSync(join(out, 'runs')) ? readdirSync(join(out, 'runs')).filter((id) => existsSync(join(out, 'runs', id, 'summary.json'))).length : 0);
    for (let waited = 0; complete() === 0 && waited < 60_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(join(out, 'runs.csv'))).toBe(false);
    const again = servesim('sweep', file, '--out', out);
    expect(again.status).toBe(2);
    expect(again.stderr.trim()).toBe(`servesim: --out ${out}: already holds a sweep: pass --resume to finish it, or choose another folder`);
    ok(servesim('sweep', file, '--out', out, '--resume', '-q'));
    ok(servesim('sweep', file, '--out', join(dir, 'whole'), '-q'));
    expect(read(join(out, 'runs.csv'))).toBe(read(join(dir, 'whole', 'runs.csv')));
    expect(readdirSync(join(out, 'runs')).filter((name) => name.startsWith('.'))).toEqual([]);
    // --resume finishes only the same sweep.
    writeFileSync(file, JSON.stringify({ base: 'spec.json', grid: { 'deployments.0.replicas': [4, 5] }, seeds: [1] }));
    const other = servesim('sweep', file, '--out', out, '--resume');
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/holds a different sweep/);
  }, 120_000);

  it.each([
    [{ base: 'spec.json', grid: { 'deployments.0.replicas': [3, -1] }, seeds: [1] }, /^servesim: .*sweep\.json: grid point deployments\.0\.replicas=-1: .*spec\.json: --set deployments\.0\.replicas=-1: deployments\[0\]\.replicas: expected ≥ 0, got -1$/],
    [{ base: 'spec.json', grid: {}, seeds: [] }, /^servesim: .*sweep\.json: seeds: /],
    [{ base: 'spec.json', specs: ['spec.json'], seeds: [1] }, /^servesim: .*sweep\.json: base: expected exactly one of "base"/],
    [{ base: 'spec.json', seeds: [1], grids: {} }, /^servesim: .*sweep\.json: \(top level\): .*grids/],
    [{ base: 'nowhere.json', seeds: [1] }, /^servesim: .*nowhere\.json: /],
  ])('bad sweep %j: exit 2, one line', (sweep, message) => {
    const dir = tempDir();
    const r = servesim('sweep', sweepIn(dir, 20, sweep), '--out', join(dir, 'out'));
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it.each([
    ['--workers', '0', /^servesim: --workers: expected a whole number from 1 to 1024, got "0"$/],
    ['--shard', '3/3', /^servesim: --shard: expected i\/N with 0 ≤ i < N/],
  ])('bad flag %s %s: exit 2', (flag, value, message) => {
    const dir = tempDir();
    const r = servesim('sweep', sweepIn(dir), '--out', join(dir, 'out'), flag, value);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(message);
  });
});

describe('a sweep on a cluster: the Indexed Job entrypoint, run here once per index', () => {
  it('each index runs its shard into its own folder; the merge equals the sweep run in one go', () => {
    const dir = tempDir();
    const file = sweepIn(dir);
    const shards = 3;
    for (let index = 0; index < shards; index++) {
      const env = { ...process.env, SWEEP: file, SHARDS: String(shards), JOB_COMPLETION_INDEX: String(index), RESULTS: join(dir, 'volume') };
      const r = spawnSync('sh', ['deploy/sweep-entrypoint.sh'], { env, encoding: 'utf8' });
      ok(r);
    }
    expect(readdirSync(join(dir, 'volume')).sort()).toEqual(['shard-0', 'shard-1', 'shard-2']);
    const shardFolders = [0, 1, 2].map((i) => join(dir, 'volume', `shard-${i}`));
    ok(servesim('sweep-merge', ...shardFolders, '--out', join(dir, 'merged'), '-q'));
    ok(servesim('sweep', file, '--out', join(dir, 'local'), '-q'));
    expect(read(join(dir, 'merged', 'runs.csv'))).toBe(read(join(dir, 'local', 'runs.csv')));
  });

  it('the Job is Indexed, runs the entrypoint the image holds, and has as many completions as shards', () => {
    const job = read('deploy/k8s/sweep-job.yaml');
    expect(job).toMatch(/completionMode: Indexed/);
    const completions = /completions: (\d+)/.exec(job)?.[1];
    expect(job).toMatch(new RegExp(`name: SHARDS\\s+value: "${completions}"`));
    expect(job).toMatch(/command: \["\/servesim\/deploy\/sweep-entrypoint\.sh"\]/);
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/^FROM node:20-slim/m);
    expect(dockerfile).toMatch(/WORKDIR \/servesim/);
    expect(dockerfile).toMatch(/COPY deploy \.\/deploy/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    const sweep = /name: SWEEP\s+value: (\S+)/.exec(job)?.[1] as string;
    expect(existsSync(sweep)).toBe(true);
  });
});

describe('servesim compare --seeds: paired A/B on common random numbers', () => {
  it('every spec on the same seeds; pairs.csv has b − a with a 95% interval, narrower than the unpaired one', () => {
    const dir = tempDir();
    const specFile = (name: string, replicas: number) => {
      const path = join(dir, `${name}.json`);
      writeFileSync(path, JSON.stringify({ ...spec(60), name, deployments: [{ ...spec(60).deployments[0], replicas }] }));
      return path;
    };
    const out = join(dir, 'ab');
    const r = servesim('compare', specFile('four', 4), specFile('five', 5), '--seeds', '4', '--out', out);
    ok(r);
    expect(r.stdout).toMatch(/paired differences over 4 seeds/);
    expect(readdirSync(join(out, 'four')).sort()).toEqual(['seed-1', 'seed-2', 'seed-3', 'seed-4']);
    const runs = rows(join(out, 'runs.csv'));
    expect(runs.slice(1).map((row) => row.slice(0, 2).join(' '))).toEqual(['four 1', 'four 2', 'four 3', 'four 4', 'five 1', 'five 2', 'five 3', 'five 4']);
    // The same seed: the same arrivals for both.
    const requests = runs[0].indexOf('requests');
    expect(runs.slice(1, 5).map((row) => row[requests])).toEqual(runs.slice(5).map((row) => row[requests]));
    const [header, ...pairs] = rows(join(out, 'pairs.csv'));
    const mean = pairs.find((p) => p[header.indexOf('metric')] === 'latency_mean_ms') as string[];
    const cell = (name: string) => Number(mean[header.indexOf(name)]);
    expect(mean.slice(0, 2)).toEqual(['four', 'five']);
    expect(cell('mean_diff')).toBeLessThan(0);
    expect(cell('ci_low')).toBeLessThan(cell('mean_diff'));
    expect(cell('ci_high')).toBeGreaterThan(cell('mean_diff'));
    expect(mean[header.indexOf('significant')]).toBe('true');
    expect(cell('paired_half_width')).toBeLessThan(cell('unpaired_half_width'));
  });
});
