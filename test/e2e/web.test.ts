import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDataFile } from '../../src/cli/paths.js';
import { validateSpec } from '../../src/experiment/load-spec.js';
import { runSpec } from '../../src/experiment/run.js';
import type { Summary } from '../../src/experiment/summary.js';
import { tempDir } from '../helpers/temp.js';

/**
 * The playground page (web/) in a real browser: built with scripts/build-web.mjs, served by
 * scripts/serve-web.mjs on 127.0.0.1, driven headless through playwright-core. The run in the
 * browser's Web Worker must give the summary a Node run of the same spec and seed gives.
 */
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`web.test.ts: skipped: no ${CHROMIUM} (install Debian's chromium package to run the playground's browser test)`);

interface Offered {
  default: string;
  specs: { name: string; folder: string; spec: unknown }[];
}

let server: ChildProcess | undefined;
let context: BrowserContext | undefined;
let base = '';
let offered: Offered;

/** Waits for the server's line with its URL, at most `ms`. */
function serverUrl(child: ChildProcess, ms: number): Promise<string> {
  return new Promise((done, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`the static server printed no URL in ${ms} ms: ${out}`)), ms);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (url !== null) {
        clearTimeout(timer);
        done(url[0]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`the static server exited (${code}): ${out}`));
    });
  });
}

/** A Node run of a spec as `servesim run` makes it: data files looked up from the spec's folder. */
async function nodeRun(spec: unknown, folder: string): Promise<Summary> {
  const file = join(folder, 'spec.json');
  return runSpec(validateSpec(structuredClone(spec), file), { resolve: (f) => resolveDataFile(f, file) });
}

/** Loads the page at `hash` and waits (bounded) for its run to end. */
async function runPage(hash: string): Promise<Page> {
  const page = await context!.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${base}${hash}`, { timeout: 30_000 });
  await page.waitForSelector('body[data-state=done], body[data-state=failed]', { timeout: 90_000 });
  expect(errors).toEqual([]);
  expect(await page.getAttribute('body', 'data-state'), (await page.textContent('#problems')) ?? '').toBe('done');
  return page;
}

const field = async (page: Page, name: string): Promise<unknown> => JSON.parse((await page.getAttribute(`#summary td[data-field="${name}"]`, 'data-value', { timeout: 5_000 })) ?? 'null');

/** The browser run's figures are the Node run's. */
async function expectSameRun(page: Page, node: Summary): Promise<void> {
  expect(await field(page, 'requests')).toBe(node.requests);
  expect(await field(page, 'completed')).toBe(node.completed);
  expect(await field(page, 'dropped')).toBe(node.dropped);
  expect(await field(page, 'latency mean (ms)')).toBe(node.latencyMs.mean);
  expect(await field(page, 'latency p99 (ms)')).toBe(node.latencyMs.p99);
  expect(await field(page, 'events')).toBe(node.events);
}

describe.skipIf(!haveChromium)('the playground page in a browser', () => {
  beforeAll(async () => {
    const dist = join(tempDir('servesim-web-'), 'dist');
    const built = spawnSync(process.execPath, ['scripts/build-web.mjs', '--out', dist], { encoding: 'utf8', timeout: 120_000 });
    expect(built.status, built.stderr).toBe(0);
    expect(existsSync(join(dist, 'index.html'))).toBe(true);
    offered = JSON.parse(readFileSync(join(dist, 'specs.json'), 'utf8')) as Offered;
    server = spawn(process.execPath, ['scripts/serve-web.mjs', dist], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    base = await serverUrl(server, 15_000);
    context = await chromium.launchPersistentContext(tempDir('servesim-chromium-'), {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 60_000,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 240_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    if (server?.pid !== undefined && server.exitCode === null) process.kill(server.pid);
  });

  it('runs its default spec in the worker, shows the summary and charts, and matches a Node run', async () => {
    const page = await runPage('');
    const text = (await page.textContent('#summary')) ?? '';
    const entry = offered.specs.find((s) => s.name === offered.default)!;
    const node = await nodeRun(entry.spec, entry.folder);
    expect(text).toContain(String(node.requests));
    expect(text).toContain(String(node.completed));
    await expectSameRun(page, node);
    await page.waitForSelector('#chart-latency svg, #chart-latency canvas', { timeout: 30_000 });
    await page.waitForSelector('#chart-capacity svg, #chart-capacity canvas', { timeout: 30_000 });
    await page.close();
  }, 180_000);

  it('runs a trace-driven spec from #spec=<base64url>, the same as Node, and keeps the previous run beside it', async () => {
    const kpa = offered.specs.find((s) => s.name === 'examples/kpa')!;
    const spec = { ...(kpa.spec as Record<string, unknown>), seed: 3, duration: 600 };
    const hash = `#spec=${Buffer.from(JSON.stringify(spec)).toString('base64url')}`;
    const page = await runPage(hash);
    await expectSameRun(page, await nodeRun(spec, kpa.folder));
    // A second run (another seed) moves the first beside it.
    await page.fill('#f-seed', '4');
    await page.dispatchEvent('#f-seed', 'change');
    await page.click('#run');
    await page.waitForSelector('#run-previous:not([hidden])', { timeout: 90_000 });
    await page.waitForSelector('body[data-state=done]', { timeout: 90_000 });
    expect(await page.getAttribute('#summary-previous td[data-field="requests"]', 'data-value')).not.toBeNull();
    await page.close();
  }, 240_000);

  it('runs an optimising policy (HiGHS as wasm in the worker) as Node does', async () => {
    const entry = offered.specs.find((s) => (s.spec as { policy?: { name?: string } }).policy?.name === 'infadapter');
    if (entry === undefined) return;
    const spec = entry.spec;
    const page = await runPage(`#spec=${Buffer.from(JSON.stringify(spec)).toString('base64url')}`);
    await expectSameRun(page, await nodeRun(spec, entry.folder));
    await page.close();
  }, 240_000);

  it("runs Biathlon's approximate serving (Sobol tables served to the worker) as Node does", async () => {
    const file = 'experiments/paper/biathlon/tick-price.json';
    const spec = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    const page = await runPage(`#spec=${Buffer.from(JSON.stringify(spec)).toString('base64url')}`);
    await expectSameRun(page, await nodeRun(spec, 'experiments/paper/biathlon'));
    await page.close();
  }, 240_000);

  it('names the field at fault in a spec that breaks the schema', async () => {
    const page = await runPage('#example=examples/mm4');
    const mm4 = offered.specs.find((s) => s.name === 'examples/mm4')!.spec as { deployments: Record<string, unknown>[] };
    const broken = { ...mm4, deployments: [{ ...mm4.deployments[0], replicas: -1 }] };
    await page.fill('#editor', JSON.stringify(broken));
    await page.dispatchEvent('#editor', 'input');
    expect(await page.textContent('#problems')).toMatch(/^deployments\[0\]\.replicas: expected ≥ 0/);
    await page.close();
  }, 180_000);
});
