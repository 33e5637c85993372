// `npm run bench`: simulation speed, each benchmark a whole `servesim run` process. For each it
// prints events/s and simulated requests/s in the run, the whole process's time and its peak RSS
// (medians of --runs, with the spread), and pairs M/M/4 against SimPy when Python can import it
// (alternating runs). Usage: node bench/bench.mjs [--only a,b] [--runs N] [--duration S]
// [--cluster-requests N] [--cluster-hour] [--no-simpy] [--json FILE]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from 'simple-statistics';

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      only: { type: 'string' },
      runs: { type: 'string' },
      duration: { type: 'string', default: '10000' },
      'cluster-requests': { type: 'string', default: '6000000' },
      'cluster-hour': { type: 'boolean', default: false },
      'no-simpy': { type: 'boolean', default: false },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (error) {
  console.error(`bench: ${error.message.split('\n')[0]} (--help lists the options)`);
  process.exit(2);
}
if (args.help) {
  console.log(`usage: npm run bench -- [options]
  --only a,b             benchmarks to run (default all): ${['startup', 'mm4', 'cluster-10', 'cluster-1000', 'cluster-10000', 'twitter-hpa', 'twitter-infadapter'].join(', ')}
  --runs N               runs of each (default 3; 5 for startup, 1 for the Twitter traces)
  --duration S           simulated seconds of M/M/4 (default 10000: 3.6 million requests)
  --cluster-requests N   requests of each cluster benchmark (default 6000000)
  --cluster-hour         the 10,000-replica cluster for a whole simulated hour (360 million requests)
  --no-simpy             do not time SimPy
  --json FILE            also write the figures as JSON`);
  process.exit(0);
}

const duration = Number(args.duration);
const clusterRequests = Number(args['cluster-requests']);
for (const [flag, value] of [['--runs', args.runs ?? '1'], ['--duration', args.duration], ['--cluster-requests', args['cluster-requests']]]) {
  if (!(Number(value) > 0) || (flag !== '--duration' && !Number.isInteger(Number(value)))) {
    console.error(`bench: ${flag} ${value}: expected a positive ${flag === '--duration' ? 'number' : 'integer'}`);
    process.exit(2);
  }
}
const out = mkdtempSync(join(tmpdir(), 'servesim-bench-'));

/** One whole process, timed; its summary.json when it wrote one. */
function timed(command, argv) {
  const started = performance.now();
  const result = spawnSync(command, argv, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`${command} ${argv.join(' ')} failed:\n${result.stderr}`);
  return { seconds, stdout: result.stdout };
}

function servesimRun(spec, sets) {
  const argv = ['bin/servesim.js', 'run', spec, '--quiet', '--out', out, ...sets.flatMap((s) => ['--set', s])];
  const run = timed(process.execPath, argv);
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  return { process: run.seconds, inRun: s.wallSeconds, events: s.events, requests: s.requests, rssMiB: s.timing.peakRssMiB, summary: s };
}

/** A cluster of `replicas` one-core pods, ten to a node, at load 0.9 behind least-outstanding routing. */
function clusterSets(replicas, requests) {
  const rate = replicas * 10;
  return [`deployments.0.replicas=${replicas}`, `cluster.nodePools.0.nodes=${Math.ceil(replicas / 10)}`, `workload.arrivals.rate=${rate}`, `duration=${requests / rate}`];
}

const benchmarks = [
  { name: 'startup', runs: 5, about: '`servesim --version`: loading the bundle', command: () => ({ process: timed(process.execPath, ['bin/servesim.js', '--version']).seconds }) },
  { name: 'mm4', runs: 3, about: `M/M/4 at load 0.9, ${duration} s`, command: () => servesimRun('bench/mmc.json', [`duration=${duration}`]) },
  ...[10, 1000, 10000].map((replicas) => ({
    name: `cluster-${replicas}`,
    runs: 3,
    about: `${replicas.toLocaleString('en')} one-core replicas, ten to a node, per-replica queues, least-outstanding, load 0.9`,
    command: () => servesimRun('bench/large-cluster.json', clusterSets(replicas, clusterRequests)),
  })),
  ...(args['cluster-hour'] ? [{ name: 'cluster-hour', runs: 1, about: '10,000 replicas, 1,000 nodes, 100,000 requests/s, 3,600 s', command: () => servesimRun('bench/large-cluster.json', []) }] : []),
  { name: 'twitter-hpa', runs: 1, about: 'HPA, the whole 22-day Twitter trace', command: () => servesimRun('bench/twitter-hpa.json', []) },
  { name: 'twitter-infadapter', runs: 1, about: 'InfAdapter, the whole 22-day Twitter trace', command: () => servesimRun('bench/twitter-infadapter.json', []) },
];
const only = args.only?.split(',');
const unknown = only?.filter((name) => !benchmarks.some((b) => b.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')} (expected some of ${benchmarks.map((b) => b.name).join(', ')})`);
  process.exit(2);
}

const python = process.env.PYTHON ?? 'python3';
const hasSimpy = !args['no-simpy'] && spawnSync(python, ['-c', 'import simpy'], { encoding: 'utf8' }).status === 0;
const spread = (xs, digits) => (xs.length > 1 ? ` (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})` : '');
const results = [];
for (const bench of benchmarks.filter((b) => only === undefined || only.includes(b.name))) {
  const runs = args.runs === undefined ? bench.runs : Number(args.runs);
  const pairSimpy = bench.name === 'mm4' && hasSimpy;
  const samples = [];
  const simpy = [];
  let simpyReport;
  for (let i = 0; i < runs; i++) {
    samples.push(bench.command());
    if (pairSimpy) {
      const run = timed(python, ['bench/simpy_mmc.py', '--duration', String(duration)]);
      simpyReport = JSON.parse(run.stdout);
      simpy.push(run.seconds);
    }
  }
  const processSeconds = median(samples.map((r) => r.process));
  const row = { name: bench.name, about: bench.about, runs, processSeconds, processSpread: [Math.min(...samples.map((r) => r.process)), Math.max(...samples.map((r) => r.process))] };
  let line = `${bench.name.padEnd(19)} ${bench.about}\n${''.padEnd(19)} process ${processSeconds.toFixed(2)} s${spread(samples.map((r) => r.process), 2)}`;
  if (samples[0].events !== undefined) {
    const eventsPerSecond = samples.map((r) => r.events / r.inRun);
    const s = samples[0];
    Object.assign(row, {
      requests: s.requests,
      events: s.events,
      inRunSeconds: median(samples.map((r) => r.inRun)),
      eventsPerSecond: median(eventsPerSecond),
      requestsPerSecond: median(samples.map((r) => r.requests / r.inRun)),
      rssMiB: median(samples.map((r) => r.rssMiB)),
      solveMs: s.summary.timing.solveMs,
    });
    line += `, in-run ${row.inRunSeconds.toFixed(2)} s: ${(row.eventsPerSecond / 1e6).toFixed(2)} M events/s${spread(eventsPerSecond.map((x) => x / 1e6), 2)}, ${(row.requestsPerSecond / 1e6).toFixed(2)} M requests/s; ${s.requests.toLocaleString('en')} requests, ${s.events.toLocaleString('en')} events; peak RSS ${row.rssMiB} MiB`;
    if (s.summary.timing.solveMs !== null) line += `; ${s.summary.timing.solveMs.decisions.toLocaleString('en')} solves, mean ${s.summary.timing.solveMs.mean} ms`;
  }
  console.log(line);
  if (pairSimpy) {
    row.simpy = { version: simpyReport.simpy, processSeconds: median(simpy), ratio: median(simpy) / processSeconds };
    console.log(`${''.padEnd(19)} SimPy ${simpyReport.simpy}: ${median(simpy).toFixed(2)} s${spread(simpy, 2)} whole process; servesim ${row.simpy.ratio.toFixed(1)}x faster (medians of ${runs} alternating runs)`);
  } else if (bench.name === 'mm4' && !args['no-simpy']) {
    console.log(`${''.padEnd(19)} SimPy skipped (needs \`pip install simpy\`; --no-simpy silences this)`);
  }
  results.push(row);
}
rmSync(out, { recursive: true, force: true });
console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.versions.node}`);
if (args.json !== undefined) writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
