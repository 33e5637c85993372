import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, writeSpec } from '../helpers/cli.js';

/**
 * Result folders are all or nothing: a run ended part-way (an error, SIGINT, SIGTERM, SIGKILL)
 * leaves the folder as it was, a rerun leaves nothing of the run before it, two runs never write
 * into one folder at once, and names never lead outside the output root.
 */

const bin = resolve('bin/servesim.js');

/** Runs the built CLI to completion, from `cwd` (default: the repository). */
function servesim(args: string[], cwd?: string) {
  return spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8' });
}

const ok = (r: { status: number | null; stderr: string }) => expect(r.status, r.stderr).toBe(0);

const quick = {
  name: 'quick',
  seed: 1,
  duration: 20,
  workload: { arrivals: { process: 'poisson', rate: 200 } },
  deployments: [{ name: 'svc', replicas: 2, serviceTime: { dist: 'exponential', mean: 0.005 } }],
};
/** Runs for hours: it is still writing when a test ends it. */
const endless = { ...quick, name: 'endless', seed: 2, duration: 1e6, workload: { arrivals: { process: 'poisson', rate: 5000 } } };

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts `servesim` in the background. */
function start(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  return child;
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((wake) => setTimeout(wake, 20));
  }
}

/** Every path under `root`, relative to it. A folder that goes while it is read (a writer cleaning up) means reading again. */
function tree(root: string): string[] {
  for (;;) {
    try {
      return readdirSync(root, { recursive: true, encoding: 'utf8' }).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || (error as NodeJS.ErrnoException).path === root) throw error;
    }
  }
}

/** What servesim leaves while it writes: temporary files and folders, old copies, locks. */
const temporaries = (root: string) => tree(root).filter((path) => /\.(tmp|old|lock)$/.test(path));

/** Each file's content, by name. */
function contents(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

/** A pid no process has any more. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

/** The status a shell reports for a process: its exit code, or 128 + the signal that ended it. */
const shellStatus = ({ code, signal }: { code: number | null; signal: NodeJS.Signals | null }) => code ?? 128 + constants.signals[signal as NodeJS.Signals];

/** Starts an endless run into `out` and waits until it is writing its requests. */
async function startEndless(root: string, out: string): Promise<ChildProcess> {
  const child = start(['run', writeSpec(endless, tempDir()), '--out', out, '--requests', '-q']);
  const writing = () => tree(root).some((path) => /requests\.csv\.\d+\.tmp$/.test(path) && statSync(join(root, path)).size > 0);
  await until(writing, 'the run to write requests.csv');
  return child;
}

/** The janitor a servesim process started to clear its temporaries if it is killed (found through /proc). */
function janitorOf(pid: number): number | undefined {
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (args[1] === '-e' && args.at(-3) === String(pid)) return Number(entry);
  }
  return undefined;
}

describe('a run ended part-way leaves the previous results as they were', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s: no temporaries, no lock, status %i, the earlier run intact', async (signal, status) => {
    const root = tempDir();
    const out = join(root, 'out');
    ok(servesim(['run', writeSpec(quick), '--out', out, '--requests', '-q']));
    const before = contents(out);
    const child = await startEndless(root, out);
    child.kill(signal);
    expect(shellStatus(await exited(child))).toBe(status);
    await until(() => temporaries(root).length === 0, 'the temporaries to go');
    expect(contents(out)).toEqual(before);
  });

  it('SIGKILL: its janitor clears the temporaries at once', async () => {
    const root = tempDir();
    const out = join(root, 'out');
    ok(servesim(['run', writeSpec(quick), '--out', out, '-q']));
    const before = contents(out);
    const child = await startEndless(root, out);
    child.kill('SIGKILL');
    await exited(child);
    await until(() => temporaries(root).length === 0, 'the temporaries to go');
    expect(contents(out)).toEqual(before);
  });

  it.runIf(existsSync('/proc/self/cmdline'))('SIGKILL of servesim and its janitor: the next run clears what they left', async () => {
    const root = tempDir();
    const out = join(root, 'out');
    const child = await startEndless(root, out);
    const janitor = janitorOf(child.pid as number);
    expect(janitor).toBeDefined();
    process.kill(janitor as number, 'SIGKILL');
    child.kill('SIGKILL');
    await exited(child);
    expect(temporaries(root).length).toBeGreaterThan(0);
    expect(existsSync(out)).toBe(false);
    ok(servesim(['run', writeSpec(quick), '--out', out, '-q']));
    expect(temporaries(root)).toEqual([]);
    expect(readdirSync(out).sort()).toEqual(['summary.json', 'timeseries.csv']);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).name).toBe('quick');
  });

  it('leftovers of processes that are gone (a lock, a staging folder, a temporary file) are cleared by the next run', () => {
    const root = tempDir();
    const out = join(root, 'out');
    ok(servesim(['run', writeSpec(quick), '--out', out, '-q']));
    const pid = deadPid();
    writeFileSync(join(root, '.out.lock'), `${pid}\n`);
    mkdirSync(join(root, `.out.${pid}.tmp`));
    writeFileSync(join(root, `.out.${pid}.tmp`, 'summary.json'), '{}');
    writeFileSync(join(out, `requests.csv.${pid}.tmp`), 'id,deployment\n1,svc\n');
    ok(servesim(['run', writeSpec(quick), '--out', out, '-q']));
    expect(tree(root)).toEqual(['out', 'out/summary.json', 'out/timeseries.csv']);
  });

  it('a run that fails on bad input mid-run leaves the folder as it was', () => {
    const root = tempDir();
    const out = join(root, 'out');
    ok(servesim(['run', writeSpec(quick), '--out', out, '--requests', '-q']));
    const before = contents(out);
    const trace = join(root, 'trace.csv');
    writeFileSync(trace, `requests\n${'20\n'.repeat(300)}-3\n`);
    const r = servesim(['run', writeSpec({ ...quick, duration: undefined, workload: { trace: { file: trace } } }), '--out', out, '--requests']);
    expect(r.status).toBe(2);
    expect(contents(out)).toEqual(before);
    expect(temporaries(root)).toEqual([]);
  });
});

describe('one run at a time in a folder', () => {
  it('a second run into a folder in use is exit 2, naming the folder and the pid holding it', async () => {
    const root = tempDir();
    const out = join(root, 'out');
    const child = await startEndless(root, out);
    const r = servesim(['run', writeSpec(quick), '--out', out, '-q']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(out);
    expect(r.stderr).toContain(`process ${child.pid}`);
    child.kill('SIGTERM');
    await exited(child);
    await until(() => temporaries(root).length === 0, 'the temporaries to go');
    expect(existsSync(out)).toBe(false);
  });

  it('a lock whose process is gone is stale: the run removes it and goes ahead', () => {
    const root = tempDir();
    writeFileSync(join(root, '.out.lock'), `${deadPid()}\n`);
    ok(servesim(['run', writeSpec(quick), '--out', join(root, 'out'), '-q']));
    expect(tree(root)).toEqual(['out', 'out/summary.json', 'out/timeseries.csv']);
  });
});

describe('a rerun leaves nothing of the run before it', () => {
  it('without --requests, the earlier requests.csv (and the plot of its timeseries) goes', () => {
    const out = join(tempDir(), 'out');
    ok(servesim(['run', writeSpec(quick), '--out', out, '--requests', '-q']));
    writeFileSync(join(out, 'timeseries.svg'), '<svg/>');
    ok(servesim(['run', writeSpec(quick), '--out', out, '-q', '--seed', '5']));
    expect(readdirSync(out).sort()).toEqual(['summary.json', 'timeseries.csv']);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).seed).toBe(5);
  });

  it('in a folder holding other things, those stay, and the summary belongs to the CSVs beside it', () => {
    const out = tempDir();
    writeFileSync(join(out, 'notes.txt'), 'mine');
    mkdirSync(join(out, 'other'));
    ok(servesim(['run', writeSpec(quick), '--out', out, '--requests', '-q']));
    ok(servesim(['run', writeSpec(quick), '--out', out, '-q', '--seed', '5']));
    expect(readdirSync(out).sort()).toEqual(['notes.txt', 'other', 'summary.json', 'timeseries.csv']);
    const fresh = tempDir();
    ok(servesim(['run', writeSpec(quick), '--out', fresh, '-q', '--seed', '5']));
    expect(readFileSync(join(out, 'timeseries.csv'), 'utf8')).toBe(readFileSync(join(fresh, 'timeseries.csv'), 'utf8'));
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).seed).toBe(5);
  });
});

describe('names stay inside the output root', () => {
  it.each(['../../escaped', '/tmp/escaped', '..', '.', 'a/b', 'a\\b', 'nul\u0000', ''])('a spec named %j is exit 2 naming its name field, and writes nothing', (name) => {
    const cwd = join(tempDir(), 'a', 'b');
    mkdirSync(cwd, { recursive: true });
    const spec = writeSpec({ ...quick, name });
    const r = servesim(['run', spec], cwd);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${spec}: name`);
    expect(tree(dirname(dirname(cwd)))).toEqual(['a', 'a/b']);
    expect(existsSync('/tmp/escaped')).toBe(false);
  });

  it('a plain name goes under runs/ of the working folder', () => {
    const cwd = tempDir();
    ok(servesim(['run', writeSpec({ ...quick, name: 'plain name' }), '-q'], cwd));
    expect(tree(cwd)).toEqual(['runs', 'runs/plain name', 'runs/plain name/summary.json', 'runs/plain name/timeseries.csv']);
  });
});

describe('compare', () => {
  const specIn = (folder: string, name: string) => {
    mkdirSync(folder, { recursive: true });
    return writeSpec({ ...quick, name }, folder);
  };
  const listed = (out: string) => readFileSync(join(out, 'comparison.csv'), 'utf8').trim().split('\n').slice(1).map((row) => row.split(',')[0]);

  it('two specs with the same file name: each run in the folder of its spec name, and only runs on disk listed', () => {
    const root = tempDir();
    const [x, y] = [specIn(join(root, 'x'), 'alpha'), specIn(join(root, 'y'), 'beta')];
    const out = join(root, 'out');
    ok(servesim(['compare', x, y, '--out', out, '-q']));
    expect(readdirSync(out).sort()).toEqual(['alpha', 'beta', 'comparison.csv']);
    expect(listed(out)).toEqual(['alpha', 'beta']);
    for (const name of ['alpha', 'beta']) expect(JSON.parse(readFileSync(join(out, name, 'summary.json'), 'utf8')).name).toBe(name);
    // A narrower rerun: the run it no longer has goes with the rest of the old comparison.
    ok(servesim(['compare', x, '--out', out, '-q']));
    expect(readdirSync(out).sort()).toEqual(['alpha', 'comparison.csv']);
    expect(listed(out)).toEqual(['alpha']);
    expect(temporaries(root)).toEqual([]);
  });

  it('in a folder holding other things, the old comparison goes and the rest stays', () => {
    const root = tempDir();
    const [x, y] = [specIn(join(root, 'x'), 'alpha'), specIn(join(root, 'y'), 'beta')];
    const out = join(root, 'out');
    mkdirSync(join(out, 'mine'), { recursive: true });
    ok(servesim(['compare', x, y, '--out', out, '-q']));
    ok(servesim(['compare', y, '--out', out, '-q']));
    expect(readdirSync(out).sort()).toEqual(['beta', 'comparison.csv', 'mine']);
    expect(listed(out)).toEqual(['beta']);
  });

  it('two specs with the same name: exit 2 before anything runs, nothing written', () => {
    const root = tempDir();
    const [x, y] = [specIn(join(root, 'x'), 'same'), specIn(join(root, 'y'), 'same')];
    const r = servesim(['compare', x, y, '--out', join(root, 'out')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`servesim: ${y}: name "same" is already in this comparison`);
    expect(existsSync(join(root, 'out'))).toBe(false);
  });

  it('a spec name that would leave the folder is exit 2 naming the field', () => {
    const root = tempDir();
    const spec = specIn(join(root, 'x'), '../escaped');
    const r = servesim(['compare', spec, '--out', join(root, 'out')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${spec}: name`);
    expect(readdirSync(root)).toEqual(['x']);
  });
});

describe('-o/--out that cannot hold results is exit 2 naming it, for every command', () => {
  const spec = writeSpec(quick);
  const commands: [string, string[]][] = [
    ['run', ['run', spec]],
    ['compare', ['compare', spec]],
    ['calibrate', ['calibrate', 'infadapter']],
    ['reproduce', ['reproduce', 'infadapter', '--quick']],
    ['approx', ['approx', '--table', 't.csv', '--key', 'k', '--queries', 'v:avg', '--requests', 'r.csv', '--model', 'm.mjs']],
    ['validate', ['validate', '--quick']],
    ['train-predictors', ['train-predictors', '--score-only']],
    ['build-models', ['build-models']],
    ['testbed run', ['testbed', 'run', spec]],
  ];
  const root = tempDir();
  const file = join(root, 'a-file');
  writeFileSync(file, 'not a folder');

  it.each(commands)('%s: an existing file, and a folder under one', (_name, args) => {
    for (const out of [file, join(file, 'below')]) {
      const r = servesim([...args, '--out', out, '-q']);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(out);
    }
    expect(readFileSync(file, 'utf8')).toBe('not a folder');
  });

  it('profile (its --out is a file): an existing folder, and a file under a file', () => {
    for (const out of [root, join(file, 'profile.csv')]) {
      const r = servesim(['profile', '--out', out, '-q']);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(out);
    }
  });

  it('a default folder under a file is exit 2 naming it', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'runs'), 'not a folder');
    const r = servesim(['run', spec, '-q'], cwd);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(join('runs', 'quick'));
  });
});
