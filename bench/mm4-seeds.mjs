// How close the mm4 contract spec lands to Erlang C across seeds: the sampling error of one
// 1,000 s run at load 0.9, and the bias (the mean over seeds). Usage: node bench/mm4-seeds.mjs [--seeds N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mean as meanOf, sampleStandardDeviation } from 'simple-statistics';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '40' } } });
const seeds = Number(values.seeds);
const theoryMs = 29.6938; // Erlang C: M/M/4, λ = 360/s, mean service 10 ms → wait 19.6938 ms + 10 ms
const out = mkdtempSync(join(tmpdir(), 'servesim-mm4-'));
const errors = [];
let covered = 0;
for (let seed = 1; seed <= seeds; seed++) {
  const r = spawnSync(process.execPath, ['bin/servesim.js', 'run', 'experiments/examples/mm4.json', '-q', '--out', out, '--seed', String(seed)]);
  if (r.status !== 0) throw new Error(r.stderr.toString());
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  const [low, high] = s.latencyMs.ci99;
  if (low <= theoryMs && theoryMs <= high) covered++;
  errors.push(s.latencyMs.mean / theoryMs - 1);
  console.log(`seed ${String(seed).padStart(3)}  mean ${s.latencyMs.mean.toFixed(3)} ms  error ${(100 * errors.at(-1)).toFixed(2).padStart(6)}%  99% CI [${low.toFixed(2)}, ${high.toFixed(2)}]`);
}
const mean = meanOf(errors);
const sd = sampleStandardDeviation(errors);
const within2 = errors.filter((e) => Math.abs(e) < 0.02).length;
console.log(`\n${seeds} seeds: mean error ${(100 * mean).toFixed(2)}% ± ${((100 * 2.58 * sd) / Math.sqrt(seeds)).toFixed(2)}% (99%), sd of one run ${(100 * sd).toFixed(2)}%`);
console.log(`within 2% of Erlang C: ${within2}/${seeds}; Erlang C inside the run's own 99% CI: ${covered}/${seeds}`);
