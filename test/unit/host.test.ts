import { readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { validateSpec } from '../../src/experiment/load-spec.js';
import { runSpec } from '../../src/experiment/run.js';
import { host, setHost } from '../../src/io/files.js';
import { joinPath, normalizePath, resolvePath } from '../../src/io/path.js';
import { MemoryHost } from '../../src/web/memory-host.js';

/** Paths built of the pieces that make path handling hard: empty, `.` and `..` segments, repeated and trailing slashes. */
const paths = fc.array(fc.constantFrom('a', 'bc', '.', '..', '', '/', '//'), { maxLength: 8 }).map((parts) => parts.join(''));

describe('the pure path helpers are node:path on POSIX', () => {
  it('normalize, join and resolve agree with node:path', () => {
    fc.assert(
      fc.property(paths, fc.array(paths, { maxLength: 4 }), (path, parts) => {
        expect(normalizePath(path)).toBe(posix.normalize(path));
        expect(joinPath(path, ...parts)).toBe(posix.join(path, ...parts));
        expect(resolvePath(path, ...parts)).toBe(posix.resolve(path, ...parts));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the in-memory host (the browser build)', () => {
  const previous = host();
  afterEach(() => {
    setHost(previous);
  });

  it('serves a listing of files, fetched once on first read, with Node-like errors', () => {
    const loads: string[] = [];
    const memory = new MemoryHost('/root', { '/root/traces/t.csv': 4 }, (path) => (loads.push(path), 'a\n1\n'));
    expect(memory.exists('/root/traces')).toBe(true);
    expect(memory.exists('/root/traces/t.csv')).toBe(true);
    expect(memory.exists('/root/traces/u.csv')).toBe(false);
    expect(memory.readText('/root/traces//t.csv')).toBe('a\n1\n');
    expect(memory.readText('/root/traces/t.csv')).toBe('a\n1\n');
    expect(loads).toEqual(['/root/traces/t.csv']);
    expect(() => memory.readText('/root/traces')).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    expect(() => memory.readText('/root/u.csv')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => [...memory.lineBlocks('/root/u.csv', 16)]).toThrow('/root/u.csv: cannot read (ENOENT)');
    expect(memory.cwd()).toBe('/root');
  });

  it('cuts a file into blocks of whole lines that add up to it', () => {
    const text = readFileSync('profiles/sponge/latency_profile_batch_cores.csv', 'utf8');
    const file = '/srv/profiles/p.csv';
    const memory = new MemoryHost('/srv', { [file]: statSync('profiles/sponge/latency_profile_batch_cores.csv').size }, () => text);
    for (const size of [1, 7, 64, 1 << 18]) {
      const blocks = [...memory.lineBlocks(file, size)];
      expect(blocks.map((b) => b.text).join('')).toBe(text);
      for (const block of blocks.slice(0, -1)) expect(block.text.endsWith('\n')).toBe(true);
      expect(blocks.at(-1)!.bytesRead).toBe(memory.size(file));
    }
  });

  it('a trace-driven run through it gives the run it gives from the file system', async () => {
    const trace = 'traces/twitter_2021_08/twitter_per_second.csv';
    const spec = () =>
      validateSpec(
        {
          name: 'host',
          seed: 5,
          workload: { trace: { file: trace, start: 1301100, duration: 120, scale: 0.02 } },
          deployments: [{ name: 'svc', replicas: 2, serviceTime: { dist: 'exponential', mean: 0.01 } }],
          policy: { name: 'hpa', deployment: 'svc', metric: 'cpu', targetUtilization: 0.5, minReplicas: 1, maxReplicas: 8 },
        },
        'spec',
      );
    const strip = ({ timing: _t, wallSeconds: _w, ...rest }: Awaited<ReturnType<typeof runSpec>>) => rest;
    const onNode = strip(await runSpec(spec()));
    const text = readFileSync(trace, 'utf8');
    setHost(new MemoryHost('/srv', { [`/srv/${trace}`]: statSync(trace).size }, () => text));
    const inMemory = strip(await runSpec(spec(), { resolve: (file) => resolvePath(file) }));
    expect(inMemory).toEqual(onNode);
    expect(onNode.requests).toBeGreaterThan(0);
  });
});
