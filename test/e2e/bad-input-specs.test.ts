import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servesim, tempDir, writeSpec, type CliResult } from '../helpers/cli.js';

/**
 * Inputs that make no sense — in a spec, a `--set`, a profile, a bandwidth log, a time series or
 * a model module — through the CLI: each is exit 2 with one stderr line that names the file and
 * the field or line, no stack trace, and no result written. A cluster that is merely full runs,
 * and says so in summary.json.
 */

/** Exit 2, exactly one line on stderr mentioning each of `mentions`, no stack trace. */
function expectRejected(result: CliResult, ...mentions: (string | RegExp)[]): void {
  expect(result.status, result.stderr).toBe(2);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).not.toMatch(/internal error|\bat .+:\d+:\d+/);
  for (const mention of mentions) {
    if (typeof mention === 'string') expect(lines[0]).toContain(mention);
    else expect(lines[0]).toMatch(mention);
  }
}

const deployment = (name: string, extra: Record<string, unknown> = {}) => ({ name, replicas: 1, serviceTime: { dist: 'exponential', mean: 0.01 }, ...extra });

/** A small valid spec: two seconds of Poisson arrivals at one deployment. */
const base = (extra: Record<string, unknown> = {}) => ({
  name: 'bad-input',
  duration: 2,
  workload: { arrivals: { process: 'poisson', rate: 20 } },
  deployments: [deployment('svc')],
  ...extra,
});

/** Two variants behind one stage of pipeline "p". */
const twoVariants = (stage: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  base({ deployments: [deployment('a', { accuracy: 0.7 }), deployment('b', { accuracy: 0.8 })], pipelines: [{ name: 'p', stages: [{ name: 's', deployments: ['a', 'b'], ...stage }] }], ...extra });

const cluster = (...nodePools: Record<string, unknown>[]) => ({ nodePools });

/** Runs `spec` from a fresh folder; returns the result, the spec's path and whether a summary was written. */
function run(spec: unknown, ...args: string[]): CliResult & { file: string; dir: string; summaryWritten: () => boolean; summary: () => Record<string, unknown> } {
  const dir = tempDir();
  const file = writeSpec(spec, dir);
  const out = join(dir, 'out');
  const result = servesim('run', file, '--quiet', '--out', out, ...args);
  return { ...result, file, dir, summaryWritten: () => existsSync(join(out, 'summary.json')), summary: () => JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) };
}

/** The spec is rejected, naming its file and `field`, with `message`; nothing is written. */
function expectSpecRejected(spec: unknown, field: string, message: string | RegExp, ...args: string[]): void {
  const result = run(spec, ...args);
  expectRejected(result, `${result.file}: `, `${field}: `, message);
  expect(result.summaryWritten()).toBe(false);
}

describe('specs: names, stages and policies', () => {
  it.each([
    ['pipeline names', twoVariants({}, { pipelines: [{ name: 'p', stages: [{ name: 's', deployments: ['a'] }] }, { name: 'p', stages: [{ name: 't', deployments: ['b'] }] }] }), 'pipelines[1].name', 'duplicate pipeline name "p"'],
    ['stage names within a pipeline', twoVariants({}, { pipelines: [{ name: 'p', stages: [{ name: 's', deployments: ['a'] }, { name: 's', deployments: ['b'] }] }] }), 'pipelines[0].stages[1].name', 'duplicate stage name "s"'],
    ['node-pool names', base({ cluster: cluster({ name: 'n', nodes: 1, cores: 4 }, { name: 'n', nodes: 2, cores: 8 }) }), 'cluster.nodePools[1].name', 'duplicate node-pool name "n"'],
    ['deployment names', base({ deployments: [deployment('svc'), deployment('svc')] }), 'deployments[1].name', 'duplicate deployment name "svc"'],
    ['a deployment within one stage', twoVariants({ deployments: ['a', 'a'] }), 'pipelines[0].stages[0].deployments[1]', 'listed twice in this stage'],
  ])('rejects duplicate %s', (_, spec, field, message) => expectSpecRejected(spec, field, message));

  it('rejects an InfAdapter stage that does not exist', () => {
    expectSpecRejected(twoVariants({}, { policy: { name: 'infadapter', stage: 'classify', deployments: ['a', 'b'] } }), 'policy.stage', 'expected one of "s", got "classify"');
  });

  it('rejects an MS+ deployment that does not serve its stage', () => {
    const spec = twoVariants({ deployments: ['a'] }, { deployments: [deployment('a', { accuracy: 0.7 }), deployment('b', { accuracy: 0.8 })] });
    expectSpecRejected({ ...spec, policy: { name: 'ms+', stage: 's', deployments: ['a', 'b'] } }, 'policy.deployments[1]', 'deployment "b" does not serve stage "s"');
  });

  it('rejects an InfAdapter whose minimum per variant exceeds its budget', () => {
    expectSpecRejected(twoVariants({}, { policy: { name: 'infadapter', stage: 's', deployments: ['a', 'b'], budgetCores: 2, minCores: 4 } }), 'policy.minCores', 'expected at most budgetCores (2), got 4');
  });

  it('rejects an IPA stage that does not exist, or that lists other deployments than the stage', () => {
    const ipa = (stage: string, deployments: string[]) => ({ policy: { name: 'ipa', stages: [{ stage, deployments, slaSeconds: 1 }] } });
    expectSpecRejected(twoVariants({}, ipa('classify', ['a', 'b'])), 'policy.stages[0].stage', 'expected one of "s", got "classify"');
    expectSpecRejected(twoVariants({}, ipa('s', ['b', 'a'])), 'policy.stages[0].deployments', 'expected the deployments of stage "s" in its order ("a", "b")');
  });

  it('rejects a policy that lists one deployment twice', () => {
    expectSpecRejected(twoVariants({}, { policy: { name: 'infadapter', stage: 's', deployments: ['a', 'a'] } }), 'policy.deployments[1]', 'deployment "a" is listed twice');
  });
});

describe('specs: stage weights', () => {
  it.each([
    ['all zero', [0, 0], [], 'pipelines[0].stages[0].weights', 'expected at least one positive weight'],
    ['negative', [1, -1], [], 'pipelines[0].stages[0].weights[1]', 'expected ≥ 0, got -1'],
    ['not finite', [1, 1], ['--set', 'pipelines.0.stages.0.weights.0=1e999'], 'pipelines[0].stages[0].weights[0]', 'expected a finite number, got Infinity'],
  ])('rejects weights that are %s', (_, weights, args, field, message) => expectSpecRejected(twoVariants({ weights }), field, message, ...(args as string[])));
});

describe('specs: pods no node can hold', () => {
  it.each([
    ['more cores than any node', base({ cluster: cluster({ name: 'n', nodes: 4, cores: 4 }), deployments: [deployment('svc', { cores: 8 })] }), 'deployments[0].cores', 'expected at most 4, the most a node has, got 8'],
    ['more memory than any node', base({ cluster: cluster({ name: 'n', nodes: 4, cores: 4, memoryGiB: 16 }), deployments: [deployment('svc', { memoryGiB: 32 })] }), 'deployments[0].memoryGiB', 'expected at most 16'],
    ['more GPUs than any node', base({ cluster: cluster({ name: 'n', nodes: 2, cores: 8, gpus: 1, gpuType: 't4' }), deployments: [deployment('svc', { gpus: 2, gpuType: 't4' })] }), 'deployments[0].gpus', 'expected at most 1'],
    ['a gpuType no node has', base({ cluster: cluster({ name: 'n', nodes: 2, cores: 8, gpus: 1, gpuType: 't4' }), deployments: [deployment('svc', { gpus: 1, gpuType: 'a100' })] }), 'deployments[0].gpuType', 'expected a gpuType that a node has ("t4"), got "a100"'],
    [
      'a pod too big for its own pool',
      base({ cluster: cluster({ name: 'small', nodes: 4, cores: 2 }, { name: 'big', nodes: 1, cores: 16 }), deployments: [deployment('svc', { cores: 4, nodePool: 'small' })] }),
      'deployments[0].cores',
      'expected at most 2, the most a node of pool "small" has, got 4',
    ],
    [
      'a pod whose cores fit one pool and memory another',
      base({ cluster: cluster({ name: 'cpu', nodes: 1, cores: 16, memoryGiB: 8 }, { name: 'mem', nodes: 1, cores: 2, memoryGiB: 64 }), deployments: [deployment('svc', { cores: 4, memoryGiB: 32 })] }),
      'deployments[0]',
      'no node has room for one pod (4 cores, 32 GiB, 0 GPUs)',
    ],
    [
      'a VPA minimum above every node',
      base({ cluster: cluster({ name: 'n', nodes: 2, cores: 4 }), policy: { name: 'vpa', deployment: 'svc', minCores: 6, maxCores: 8 } }),
      'policy.minCores',
      'expected at most 4, the most cores a node of deployment "svc" has, got 6',
    ],
  ])('rejects %s', (_, spec, field, message) => expectSpecRejected(spec, field, message));

  it('runs a pool that is only full, and records the pods left Pending in summary.json', () => {
    const result = run(base({ cluster: cluster({ name: 'n', nodes: 1, cores: 8 }), deployments: [deployment('svc', { replicas: 3, cores: 4 })] }));
    expect(result.status, result.stderr).toBe(0);
    expect(result.summary().warnings).toEqual(['deployment "svc": 1 pod stayed Pending to the end of the run, no node having room (Kubernetes: FailedScheduling)']);
  });

  it('writes no warnings field when nothing went wrong', () => {
    const result = run(base({ cluster: cluster({ name: 'n', nodes: 1, cores: 8 }), deployments: [deployment('svc', { replicas: 2, cores: 4 })] }));
    expect(result.status, result.stderr).toBe(0);
    expect(result.summary()).not.toHaveProperty('warnings');
  });
});

describe('specs: policy and deployment fields', () => {
  it.each([
    ['VPA bounds below and above the target inverted', { name: 'vpa', deployment: 'svc', lowerBoundPercentile: 0.95, targetPercentile: 0.9, upperBoundPercentile: 0.5 }, 'policy.lowerBoundPercentile', 'expected lowerBoundPercentile at most targetPercentile'],
    ['a VPA upper bound below the target', { name: 'vpa', deployment: 'svc', upperBoundPercentile: 0.8 }, 'policy.upperBoundPercentile', 'expected upperBoundPercentile at least targetPercentile'],
    ['an HPA CPU target of 0', { name: 'hpa', deployment: 'svc', maxReplicas: 4, targetUtilization: 0 }, 'policy.targetUtilization', 'expected > 0, got 0'],
    ['an HPA rps target of 0', { name: 'hpa', deployment: 'svc', maxReplicas: 4, metric: 'rps', targetRps: 0 }, 'policy.targetRps', 'expected > 0, got 0'],
  ])('rejects %s', (_, policy, field, message) => expectSpecRejected(base({ policy }), field, message));

  it.each([
    ['an accuracy above 1', [deployment('svc', { accuracy: 76.1 })], [], 'deployments[0].accuracy', 'expected ≤ 1, got 76.1'],
    ['a negative accuracy', [deployment('svc', { accuracy: -0.1 })], [], 'deployments[0].accuracy', 'expected ≥ 0, got -0.1'],
    ['a cv that is not finite', [deployment('svc', { serviceTime: { dist: 'lognormal', mean: 0.01, cv: 1 } })], ['--set', 'deployments.0.serviceTime.cv=1e999'], 'deployments[0].serviceTime.cv', 'expected a finite number, got Infinity'],
    ['a mean that is not finite', [deployment('svc')], ['--set', 'deployments.0.serviceTime.mean=-1e999'], 'deployments[0].serviceTime.mean', 'expected a finite number, got -Infinity'],
  ])('rejects %s', (_, deployments, args, field, message) => expectSpecRejected(base({ deployments }), field, message, ...(args as string[])));
});

describe('--set: only paths the spec has', () => {
  it.each([
    ['deployments.x.replicas=3', '"deployments" is a list of 1 item: expected index 0, got "x"'],
    ['deployments.-1.replicas=3', '"deployments" is a list of 1 item: expected index 0, got "-1"'],
    ['deployments.1.replicas=3', '"deployments" is a list of 1 item: expected index 0, got "1"'],
    ['deployments.01.replicas=3', 'got "01"'],
    ['deployments.length=0', 'got "length"'],
    ['__proto__.polluted=1', '"__proto__" is not a field of a spec'],
    ['constructor.prototype.polluted=1', '"constructor" is not a field of a spec'],
    ['deployments.0.__proto__.replicas=3', '"__proto__" is not a field of a spec'],
    ['name.first=x', '"name" is "bad-input", not an object or array in the spec'],
    ['deployments..replicas=3', 'expected a path of field names and indices separated by single dots'],
  ])('rejects --set %s, naming the flag', (assignment, message) => {
    const result = run(base(), '--set', assignment);
    expectRejected(result, `--set ${assignment}: `, message);
    expect(result.summaryWritten()).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['workload.burst=1', 'workload', 'unknown field "burst"'],
    ['deployments.0.toString.x=1', 'deployments[0]', 'unknown field "toString"'],
  ])('names the flag that wrote an unknown field: --set %s', (assignment, field, message) => {
    const result = run(base(), '--set', assignment);
    expectRejected(result, `${result.file}: --set ${assignment}: ${field}: `, message);
  });

  it('still creates an optional section the spec leaves out', () => {
    const result = run(base(), '--set', 'metricsServer.scrapeSeconds=30', '--set', 'deployments.0.replicas=2');
    expect(result.status, result.stderr).toBe(0);
  });
});

describe('data files named in a spec', () => {
  const withTrace = (file: string) => base({ duration: undefined, workload: { trace: { file } } });
  const withProfile = (file: string) => base({ deployments: [{ name: 'svc', replicas: 1, profile: { file, variant: 'm' } }] });
  const withLog = (file: string) => base({ network: { upload: { bandwidthLog: file, sizeKB: 10 } } });

  it.each([
    ['trace', withTrace, 'workload.trace.file'],
    ['profile', withProfile, 'deployments[0].profile.file'],
    ['bandwidth log', withLog, 'network.upload.bandwidthLog'],
  ])('rejects a directory given as a %s', (_, make, field) => {
    const folder = join(tempDir(), 'data');
    mkdirSync(folder);
    expectSpecRejected(make(folder), field, `"${folder}" is a directory, expected a file`);
  });

  /** Bandwidth-log rows: ms since start (column 2), bytes (5), interval ms (6). */
  const log = (...rows: [number, number][]) => rows.map(([ms, bytes]) => `0 ${ms} 51.06 3.73 ${bytes} 1000`).join('\n');

  it.each([
    ['of zeros', log([0, 0], [1000, 0], [2000, 0]), /log: every row has 0 bytes \(column 5\)/],
    ['out of order', log([0, 5000], [2000, 5000], [1000, 5000]), /log:3: 1000 ms since start is not after the previous row's 2000 ms/],
    ['with a repeated time', log([0, 5000], [0, 5000]), /log:2: 0 ms since start is not after/],
    ['that is empty', '', /log: empty, expected at least 2 rows/],
  ])('rejects a bandwidth log %s', (_, text, message) => {
    const file = join(tempDir(), 'bandwidth.log');
    writeFileSync(file, text);
    expectSpecRejected(withLog(file), 'network.upload.bandwidthLog', message);
  });

  const header = 'variant,device,cores,batch,mean_ms,p50_ms,p99_ms,throughput_rps';
  it.each([
    ['a p99 below the mean', ['m,cpu,1,1,10,9,8,100'], ':2: p99_ms 8 is below mean_ms 10'],
    ['a p99 below the median', ['m,cpu,1,1,10,12,11,100'], ':2: p99_ms 11 is below p50_ms 12'],
    ['a throughput the mean contradicts', ['m,cpu,1,1,10,9,20,250'], ':2: throughput_rps 250 does not match batch × concurrency / mean_ms = 100 requests/s'],
    ['the same point twice', ['m,cpu,1,1,10,9,20,100', 'm,cpu,1,2,15,14,30,133.333', 'm,cpu,1,1,11,10,22,'], ':4: duplicate point (variant m, device cpu, 1 cores, batch 1), first on line 2'],
    ['a bigger batch that is faster beyond noise', ['m,cpu,2,1,10,9,12,100', 'm,cpu,2,4,4,3.5,6,'], ':3: mean_ms 4 at batch 4 is below 10 at batch 1 (line 2), both on 2 cores, by more than that point\'s spread (p99_ms − mean_ms = 2)'],
    ['fractional cores', ['m,cpu,1.5,1,10,9,20,100'], ':2: column "cores" expected a positive integer, got "1.5"'],
    ['a batch of 0', ['m,cpu,1,0,10,9,20,100'], ':2: column "batch" expected a positive integer, got "0"'],
    ['a batch that is no number', ['m,cpu,1,two,10,9,20,100'], ':2: column "batch" expected a positive integer, got "two"'],
  ])('rejects a profile with %s', (_, rows, message) => {
    const file = join(tempDir(), 'profile.csv');
    writeFileSync(file, `${[header, ...rows].join('\n')}\n`);
    expectSpecRejected(withProfile(file), 'deployments[0].profile', `${file}${message}`);
  });

  it('runs a consistent profile with batches, concurrency and a dip within noise', () => {
    const file = join(tempDir(), 'profile.csv');
    // Batch 2 on 1 core measured a little faster than batch 1, within batch 1's spread: measurement noise, accepted.
    writeFileSync(file, `${header},concurrency\nm,cpu,1,1,10,9,20,100,1\nm,cpu,1,2,9,8,18,222.222,1\nm,cpu,2,1,10,9,20,200,2\nm,cpu,2,2,15,14,30,266.667,2\n`);
    const result = run(withProfile(file));
    expect(result.status, result.stderr).toBe(0);
  });

  it('rejects a policy module that is a directory', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'policy.mjs'));
    const file = writeSpec(base({ policy: { name: 'module', module: 'policy.mjs' } }), dir);
    expectRejected(servesim('run', file, '--quiet', '--out', join(dir, 'out')), `${file}: policy.module: "policy.mjs" is a directory`);
  });
});

describe('servesim plot: a timeseries.csv it can draw', () => {
  const header = 't,deployment,replicas,ready_replicas,cores,arrival_rps,completed,p99_ms,slo_violations';
  it.each([
    ['without the columns it draws', 't,deployment,replicas\n0,svc,1\n', /timeseries\.csv: missing columns "ready_replicas", "cores", "arrival_rps", "p99_ms", "slo_violations"/],
    ['with a cell that is no number', `${header}\n0,svc,1,1,1,20,100,12.5,0\n5,svc,one,1,1,20,100,12.5,0\n`, /timeseries\.csv:3: column "replicas" expected a number, got "one"/],
    ['with a row cut short', `${header}\n0,svc,1,1\n`, /timeseries\.csv:2: column "cores" expected a number, got nothing/],
    ['with an unclosed quote', `${header}\n0,"svc,1,1,1,20,100,12.5,0\n`, /timeseries\.csv:2: malformed CSV/],
    ['that is empty', '', /timeseries\.csv: empty file, expected a header line/],
    ['with a header only', `${header}\n`, /timeseries\.csv: no rows after the header line/],
  ])('rejects one %s', (_, text, message) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'timeseries.csv'), text);
    expectRejected(servesim('plot', dir), join(dir, 'timeseries.csv'), message);
    expect(existsSync(join(dir, 'timeseries.png'))).toBe(false);
  });

  it('rejects a timeseries.csv that is a directory', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'timeseries.csv'));
    expectRejected(servesim('plot', dir), `${join(dir, 'timeseries.csv')}: is a directory, expected a CSV file`);
  });
});

describe('servesim approx: the table, the requests and the model module', () => {
  const dir = tempDir();
  const rows = ['zone,fare'];
  for (let i = 0; i < 2000; i++) rows.push(`${i % 2 === 0 ? 'a' : 'b'},${(10 + (i % 7)).toFixed(1)}`);
  writeFileSync(join(dir, 'trips.csv'), `${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'requests.csv'), 'zone,distance\na,1\nb,2\n');
  mkdirSync(join(dir, 'folder'));
  const model = (name: string, source: string) => {
    const file = join(dir, name);
    writeFileSync(file, source);
    return file;
  };
  const regression = (body: string) => `export const task = "regression";\nexport function predict(rows) { ${body} }\n`;
  const args = (overrides: Record<string, string>) => {
    const flags = { '--table': join(dir, 'trips.csv'), '--key': 'zone', '--queries': 'fare:avg', '--requests': join(dir, 'requests.csv'), '--delta': '0.5', '--out': join(dir, 'out'), ...overrides };
    return ['approx', ...Object.entries(flags).flat()];
  };
  const expectApproxRejected = (overrides: Record<string, string>, ...mentions: (string | RegExp)[]) => {
    expectRejected(servesim(...args(overrides)), ...mentions);
    expect(existsSync(join(dir, 'out', 'approx.csv'))).toBe(false);
  };
  const good = model('good.mjs', regression('return rows.map(([distance, fare]) => distance + fare);'));

  it('serves a good model (the fixture is sound)', () => {
    const out = join(dir, 'good-out');
    const result = servesim(...args({ '--model': good, '--out': out }));
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(join(out, 'approx.csv'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('names a module with a syntax error', () => {
    const file = model('syntax.mjs', 'export const task = "regression";\nexport function predict(rows) { return rows.map(( }\n');
    expectApproxRejected({ '--model': file }, `--model ${file}: cannot load the module (SyntaxError`);
  });

  it('names a module that throws as it loads', () => {
    const file = model('boom.mjs', 'throw new Error("boom");\n');
    expectApproxRejected({ '--model': file }, `--model ${file}: cannot load the module (boom)`);
  });

  it.each([
    ['NaN', regression('return rows.map(() => NaN);'), 'predict returned NaN for row 0, expected a finite number'],
    ['too few outputs', regression('return rows.slice(1).map(() => 1);'), /predict returned \d+ outputs for \d+ rows, expected one per row/],
    ['no array', regression('return 3;'), 'predict returned number, expected an array'],
    ['a fraction for a class', 'export const task = "classification";\nexport function predict(rows) { return rows.map(() => 0.5); }\n', 'predict returned 0.5 for row 0; a classifier returns class indices'],
    ['an exception', regression('throw new Error("no model here");'), 'predict threw on request "a"'],
  ])('names the module and the request when predict returns %s', (name, source, message) => {
    const file = model(`${name.replace(/\W+/g, '-')}.mjs`, source);
    expectApproxRejected({ '--model': file, '--delta': source.includes('classification') ? '0' : '0.5' }, `--model ${file}`, `request "a" (${join(dir, 'requests.csv')}:2)`, message);
  });

  it.each([
    ['--table', 'a CSV file'],
    ['--requests', 'a CSV file'],
    ['--model', 'an ES module file'],
  ])('rejects a directory given as %s', (flag, expected) => {
    expectApproxRejected({ '--model': good, [flag]: join(dir, 'folder') }, `${flag}: "${join(dir, 'folder')}" is a directory, expected ${expected}`);
  });

  it('rejects an empty table', () => {
    const file = join(dir, 'empty.csv');
    writeFileSync(file, '');
    expectApproxRejected({ '--model': good, '--table': file }, `${file}: empty file, expected a header line with the key column "zone"`);
  });

  it('rejects a requests file with no requests', () => {
    const file = join(dir, 'no-requests.csv');
    writeFileSync(file, 'zone,distance\n');
    expectApproxRejected({ '--model': good, '--requests': file }, `${file}: no requests after the header line`);
  });
});
