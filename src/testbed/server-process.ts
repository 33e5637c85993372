import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { trackChild } from './process-cleanup.js';

export interface ServerOptions {
  model: string;
  imageSize: number;
  cores: number;
  maxBatch: number;
  maxWaitMs: number;
  /** Requests the server holds before it answers 503; default the model server's (1024, Envoy's default bound, model-server.ts). */
  maxQueue?: number;
  /** CPUs to pin the server to with taskset (where taskset exists). */
  cpus?: string;
}

export interface RunningServer {
  port: number;
  loadMs: number;
  pid: number;
  /** Settles when the process ends, whatever the reason. */
  exited: Promise<void>;
  /**
   * SIGTERM (the server serves what it holds, then exits), then SIGKILL if it is still there
   * after `graceSeconds`; settles when the process has ended.
   */
  stop(graceSeconds?: number): Promise<void>;
  /** Changes the running server's batching through its loopback `/batching` endpoint. */
  setBatching(maxBatch: number, maxWaitMs: number): Promise<void>;
  /**
   * Resizes the running server in place (its `/cores` endpoint: the next batch runs on `cores`
   * threads) and re-pins its threads to `cpus`; settles once both are done.
   */
  setCores(cores: number, cpus: string): Promise<void>;
}

/** The model file cannot be loaded: bad input, reported as one line naming the file. */
export class ModelLoadError extends InputError {
  override name = 'ModelLoadError';
}

/** Seconds a control request to a server may take (it does no inference, so this is generous). */
const CONTROL_TIMEOUT_SECONDS = 5;

/**
 * Seconds between SIGTERM and SIGKILL. Kubernetes waits terminationGracePeriodSeconds (30 s by
 * default); a model server holds at most its queue (100 requests of a few ms each on the testbed's
 * models), so a few seconds drain it, and an interrupted run is not kept waiting half a minute.
 */
export const STOP_GRACE_SECONDS = 3;

/** The model server's exit status for a model it cannot load (model-server.ts). */
const EXIT_BAD_MODEL = 2;

/** POSTs to one of the server's loopback control endpoints; resolves with its JSON reply. */
function postControl(port: number, path: string): Promise<Record<string, unknown>> {
  const name = path.split('?')[0];
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', timeout: CONTROL_TIMEOUT_SECONDS * 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`model server on port ${port}: ${name} answered ${res.statusCode}`));
        try {
          resolve(JSON.parse(body) as Record<string, unknown>);
        } catch {
          reject(new Error(`model server on port ${port}: ${name} answered no JSON`));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`model server on port ${port}: ${name} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Re-pins every thread of a running process (taskset -a -p), where taskset exists. */
function repin(pid: number, cpus: string): Promise<void> {
  if (!hasTaskset()) return Promise.resolve();
  return new Promise((resolve) => {
    const child = spawn('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

const hasEnded = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** SIGTERM, then SIGKILL after `graceSeconds`; settles when the process has ended. */
function terminate(child: ChildProcess, graceSeconds: number): Promise<void> {
  return new Promise<void>((done) => {
    if (hasEnded(child)) return done();
    const kill = setTimeout(() => child.kill('SIGKILL'), graceSeconds * 1000);
    child.once('exit', () => {
      clearTimeout(kill);
      done();
    });
    child.kill('SIGTERM');
  });
}

let tasksetChecked: boolean | null = null;
const hasTaskset = () => (tasksetChecked ??= spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0);

/** Starts a model server process and waits for its "ready" line. */
export function startServer(options: ServerOptions, readyTimeoutSeconds = 60): Promise<RunningServer> {
  const script = join(packageRoot, 'dist/model-server.js');
  const args = [script, options.model, String(options.imageSize), String(options.cores), String(options.maxBatch), String(options.maxWaitMs)];
  if (options.maxQueue !== undefined) args.push(String(options.maxQueue));
  const pin = options.cpus !== undefined && hasTaskset();
  // stdin is a pipe this process never writes to: the server exits when it closes (see model-server.ts).
  const stdio: ['pipe', 'pipe', 'pipe'] = ['pipe', 'pipe', 'pipe'];
  const child = pin ? spawn('taskset', ['-c', options.cpus as string, process.execPath, ...args], { stdio }) : spawn(process.execPath, args, { stdio });
  trackChild(child);
  // A server that has gone makes writes to its pipe fail; nothing is ever written, so ignore them.
  child.stdin?.on('error', () => {});
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return new Promise((resolve, reject) => {
    let output = '';
    let ready = false;
    const timer = setTimeout(() => {
      // A server that does not start in time is not asked twice.
      child.kill('SIGKILL');
      reject(new Error(`model server did not start within ${readyTimeoutSeconds} s (${options.model})`));
    }, readyTimeoutSeconds * 1000);
    child.stderr?.on('data', (chunk) => {
      // Its last words, for the error message; bounded.
      output = (output + chunk).slice(-4096);
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`model server could not be started: ${error.message}`));
    });
    child.once('exit', (code) => {
      if (ready) return;
      clearTimeout(timer);
      const last = output.trim().split('\n').pop() ?? '';
      if (code === EXIT_BAD_MODEL) reject(new ModelLoadError(`${options.model}: not a model onnxruntime can load (${last.replace(/^model-server: cannot load [^:]*: /, '')}); rebuild it with \`servesim build-models\``));
      else reject(new Error(`model server exited (${code ?? child.signalCode}) before it was ready: ${last}`));
    });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      if (ready) return;
      stdout = (stdout + chunk.toString()).slice(-1024);
      const match = /^ready (\d+) ([\d.]+)/m.exec(stdout);
      if (match === null) return;
      ready = true;
      clearTimeout(timer);
      const port = Number(match[1]);
      resolve({
        exited,
        port,
        loadMs: Number(match[2]),
        pid: child.pid as number,
        stop: (graceSeconds = STOP_GRACE_SECONDS) => terminate(child, graceSeconds),
        setBatching: (maxBatch, maxWaitMs) => postControl(port, `/batching?maxBatch=${maxBatch}&maxWaitMs=${maxWaitMs}`).then(() => {}),
        setCores: async (cores, cpus) => {
          await postControl(port, `/cores?n=${cores}`);
          await repin(child.pid as number, cpus);
        },
      });
    });
  });
}
