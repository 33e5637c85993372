// `npm run bench`: simulation speed on the M/M/c model, whole process against whole process with
// SimPy when Python can import it. Usage: node bench/mmc.mjs [--runs N] [--duration S] [--no-simpy]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from 'simple-statistics';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10000' },
    'no-simpy': { type: 'boolean', default: false },
  },
});
const runs = Number(args.runs);
const duration = Number(args.duration);

function timed(command, argv, env) {
  const started = performance.now();
  const result = spawnSync(command, argv, { encoding: 'utf8', env: { ...process.env, ...env } });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`${command} ${argv.join(' ')} failed:\n${result.stderr}`);
  return { seconds, stdout: result.stdout };
}

const out = mkdtempSync(join(tmpdir(), 'servesim-bench-'));
const servesim = [];
for (let i = 0; i < runs; i++) {
  const run = timed(process.execPath, ['bin/servesim.js', 'run', 'bench/mmc.json', '--quiet', '--out', out, '--set', `duration=${duration}`]);
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  servesim.push({ process: run.seconds, inRun: s.wallSeconds, events: s.events, requests: s.requests, meanMs: s.latencyMs.mean });
}
const s = servesim[0];
const inRun = median(servesim.map((r) => r.inRun));
const whole = median(servesim.map((r) => r.process));
console.log(`M/M/4 at load 0.9, ${duration} simulated s: ${s.requests} requests, ${s.events} events, mean latency ${s.meanMs} ms (Erlang C: 29.69)`);
console.log(`servesim  in-run   ${(s.events / inRun / 1e6).toFixed(2)} M events/s, ${(s.requests / inRun / 1e6).toFixed(2)} M requests/s (median of ${runs})`);
console.log(`servesim  process  ${whole.toFixed(2)} s whole process (median of ${runs})`);

const python = process.env.PYTHON ?? 'python3';
const hasSimpy = !args['no-simpy'] && spawnSync(python, ['-c', 'import simpy'], { encoding: 'utf8' }).status === 0;
if (args['no-simpy']) {
  // asked not to compare
} else if (!hasSimpy) {
  console.log('SimPy     skipped (needs `pip install simpy`; --no-simpy silences this)');
} else {
  const simpy = [];
  let report;
  for (let i = 0; i < runs; i++) {
    const run = timed(python, ['bench/simpy_mmc.py', '--duration', String(duration)]);
    report = JSON.parse(run.stdout);
    simpy.push(run.seconds);
  }
  const simpyWhole = median(simpy);
  console.log(`SimPy ${report.simpy} process  ${simpyWhole.toFixed(2)} s whole process, ${report.completed} requests, mean latency ${report.meanLatencyMs.toFixed(2)} ms`);
  console.log(`speed-up  ${(simpyWhole / whole).toFixed(1)}x, whole process against whole process (medians)`);
}
