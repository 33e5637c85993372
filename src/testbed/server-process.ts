import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

export interface ServerOptions {
  model: string;
  imageSize: number;
  cores: number;
  maxBatch: number;
  maxWaitMs: number;
  /** CPUs to pin the server to with taskset (where taskset exists). */
  cpus?: string;
}

export interface RunningServer {
  port: number;
  loadMs: number;
  pid: number;
  /** Settles when the process ends, whatever the reason. */
  exited: Promise<void>;
  stop(): Promise<void>;
  /** Changes the running server's batching through its loopback `/batching` endpoint. */
  setBatching(maxBatch: number, maxWaitMs: number): Promise<void>;
}

/** Seconds a control request to a server may take (it does no inference, so this is generous). */
const CONTROL_TIMEOUT_SECONDS = 5;

function postBatching(port: number, maxBatch: number, maxWaitMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: `/batching?maxBatch=${maxBatch}&maxWaitMs=${maxWaitMs}`, method: 'POST', timeout: CONTROL_TIMEOUT_SECONDS * 1000 },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`model server on port ${port}: /batching answered ${res.statusCode}`))));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`model server on port ${port}: /batching timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const live = new Set<ChildProcess>();
let cleanupInstalled = false;

/** Every server this process started is stopped when it exits, fails or is interrupted. */
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const stopAll = () => {
    for (const child of live) child.kill('SIGTERM');
  };
  process.on('exit', stopAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stopAll();
      process.exit(130);
    });
  }
}

const hasTaskset = () => spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;

/** Starts a model server process and waits for its "ready" line. */
export function startServer(options: ServerOptions, readyTimeoutSeconds = 60): Promise<RunningServer> {
  installCleanup();
  const script = join(packageRoot, 'dist/model-server.js');
  const args = [script, options.model, String(options.imageSize), String(options.cores), String(options.maxBatch), String(options.maxWaitMs)];
  const pin = options.cpus !== undefined && hasTaskset();
  const child = pin ? spawn('taskset', ['-c', options.cpus as string, process.execPath, ...args]) : spawn(process.execPath, args);
  live.add(child);
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`model server did not start within ${readyTimeoutSeconds} s`)), readyTimeoutSeconds * 1000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGTERM');
      live.delete(child);
      reject(error);
    };
    child.stderr?.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => fail(new Error(`model server exited (${code}): ${output.trim().split('\n').pop() ?? ''}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      const match = /^ready (\d+) ([\d.]+)/m.exec(chunk.toString());
      if (match === null) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const exited = new Promise<void>((done) => child.once('exit', () => {
        live.delete(child);
        done();
      }));
      const port = Number(match[1]);
      resolve({
        exited,
        port,
        loadMs: Number(match[2]),
        pid: child.pid as number,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            live.delete(child);
          }),
        setBatching: (maxBatch, maxWaitMs) => postBatching(port, maxBatch, maxWaitMs),
      });
    });
  });
}
