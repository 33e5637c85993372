/**
 * A model server: one OS process serving one ONNX model over HTTP on 127.0.0.1, with a batcher
 * like the simulated one (FIFO, at most `maxBatch` requests, waiting at most `maxWaitMs` for a
 * batch to fill) and one batch in service at a time. The request carries no payload: the input
 * tensor is made once, so what is measured is inference plus the loopback round trip.
 *
 * Run as `node dist/model-server.js MODEL IMAGE_SIZE CORES MAX_BATCH MAX_WAIT_MS [MAX_QUEUE]`; it
 * prints `ready PORT LOAD_MS` on stdout once the model is loaded. `GET /ping` answers without
 * inference; `GET /stats` reports what it served, rejected and abandoned.
 * `POST /batching?maxBatch=N&maxWaitMs=M` changes the batching of the running server (the
 * testbed's `batch` action): it applies from the next dispatch on, as the simulated batcher's does.
 * `POST /cores?n=C` resizes it in place: the next batch runs on C intra-op threads (the batch in
 * service finishes on its own); the reply carries the time the switch took (`resizeMs`).
 *
 * Its stdin is its lifeline: the process that started it holds the other end of the pipe, and
 * when that end closes — the parent exited, crashed or was killed, even by SIGKILL, which no
 * handler sees — the server exits at once (Linux's PR_SET_PDEATHSIG is not reachable from Node).
 * Started by hand from a terminal, Ctrl-D stops it.
 *
 * Bounded: at most MAX_QUEUE requests wait (default 1024); the next ones are answered 503 at once. A request whose client has gone (closed its connection, as
 * the load generator does when its timeout passes) leaves the queue and is not served.
 * On SIGTERM it stops taking requests, serves those it holds, and exits.
 * Exit status: 0 stopped, 2 the model file cannot be loaded (one line on stderr names it).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');

/**
 * Requests a server holds before it answers 503: 1024, the requests Envoy lets one upstream cluster
 * hold by default before it answers 503 itself (circuit breakers, `max_pending_requests` and
 * `max_requests`, both 1024). For the slowest testbed model (cnn-l, 20 ms a request) that is 20 s
 * of work, within a request's 30 s timeout; for the fastest (cnn-tiny, under 0.1 ms) a fraction of
 * a second, room for the bursts a load generator sharing the server's cores sends.
 */
const DEFAULT_MAX_QUEUE = 1024;

// The lifeline (above): the other end of stdin has closed, so no one is left to serve.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();

const [model, imageSize, cores, maxBatch, maxWaitMs, maxQueueArg] = process.argv.slice(2);
const size = Number(imageSize);
let batchLimit = Number(maxBatch);
let waitMs = Number(maxWaitMs);
const maxQueue = maxQueueArg === undefined ? DEFAULT_MAX_QUEUE : Number(maxQueueArg);

const loadStart = performance.now();
type Session = Awaited<ReturnType<typeof ort.InferenceSession.create>>;
const inputs = new Map<number, InstanceType<typeof ort.Tensor>>();
const inputOf = (batch: number) => {
  let tensor = inputs.get(batch);
  if (tensor === undefined) {
    tensor = new ort.Tensor('float32', new Float32Array(batch * 3 * size * size).fill(0.5), [batch, 3, size, size]);
    inputs.set(batch, tensor);
  }
  return tensor;
};
/**
 * One session per thread count: a session's intra-op threads are fixed when it is created, so an
 * in-place resize switches to a session with the new count (made and warmed up the first time).
 */
const sessions = new Map<number, Promise<Session>>();
const sessionFor = (threads: number): Promise<Session> => {
  let made = sessions.get(threads);
  if (made === undefined) {
    made = ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' }).then(async (created) => {
      await created.run({ input: inputOf(1) }); // warm-up
      return created;
    });
    sessions.set(threads, made);
    made.catch(() => sessions.delete(threads));
  }
  return made;
};
let session: Session;
try {
  session = await sessionFor(Number(cores));
} catch (error) {
  const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  process.stderr.write(`model-server: cannot load ${model}: ${reason}\n`);
  process.exit(2);
}
const loadMs = performance.now() - loadStart;

interface Waiting {
  response: ServerResponse;
  arrived: number;
}
const queue: Waiting[] = [];
const counts = { served: 0, rejected: 0, abandoned: 0 };
let busy = false;
let draining = false;
/** Accepted requests whose reply has not yet left (a draining server exits once it is 0). */
let open = 0;
let timer: NodeJS.Timeout | null = null;

async function serveBatch(): Promise<void> {
  busy = true;
  const batch = queue.splice(0, batchLimit);
  const start = performance.now();
  try {
    await session.run({ input: inputOf(batch.length) });
  } catch (error) {
    // An inference that fails fails its batch, not the server.
    for (const { response } of batch) fail(response, 500, error instanceof Error ? error.message : String(error));
    busy = false;
    return dispatch();
  }
  const serviceMs = performance.now() - start;
  for (const { response, arrived } of batch) {
    counts.served++;
    response.end(JSON.stringify({ batch: batch.length, serviceMs, waitMs: start - arrived }));
  }
  busy = false;
  dispatch();
}

function exitIfDrained(): void {
  if (draining && !busy && queue.length === 0 && open === 0) process.exit(0);
}

function dispatch(): void {
  if (busy) return;
  if (queue.length === 0) return exitIfDrained();
  const due = queue[0].arrived + waitMs;
  if (queue.length >= batchLimit || performance.now() >= due || draining) {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    void serveBatch();
  } else if (timer === null) {
    timer = setTimeout(() => {
      timer = null;
      dispatch();
    }, due - performance.now());
  }
}

function fail(response: ServerResponse, status: number, error: string): void {
  response.statusCode = status;
  response.end(JSON.stringify({ error }));
}

/** A request joins the queue unless it is full; it leaves it again if its client goes before it is served. */
function enqueue(response: ServerResponse): void {
  if (draining) return fail(response, 503, 'shutting down');
  if (queue.length >= maxQueue) {
    counts.rejected++;
    return fail(response, 503, `queue full (${maxQueue} requests waiting)`);
  }
  const waiting: Waiting = { response, arrived: performance.now() };
  queue.push(waiting);
  open++;
  // 'close' comes after the reply has been handed to the kernel, or when the client has gone.
  response.once('close', () => {
    open--;
    const i = response.writableFinished ? -1 : queue.indexOf(waiting);
    if (i >= 0) {
      queue.splice(i, 1);
      counts.abandoned++;
    }
    exitIfDrained();
  });
  dispatch();
}

/** New batching limits; a batch waiting on the old wait is re-dispatched under the new one. */
function setBatching(params: URLSearchParams, response: ServerResponse): void {
  const nextBatch = Number(params.get('maxBatch'));
  const nextWait = Number(params.get('maxWaitMs'));
  if (!Number.isInteger(nextBatch) || nextBatch < 1 || !Number.isFinite(nextWait) || nextWait < 0) {
    return fail(response, 400, 'expected maxBatch >= 1 and maxWaitMs >= 0');
  }
  batchLimit = nextBatch;
  waitMs = nextWait;
  if (timer !== null) clearTimeout(timer);
  timer = null;
  dispatch();
  response.end(JSON.stringify({ maxBatch: batchLimit, maxWaitMs: waitMs }));
}

/** An in-place resize: the next batch runs on `n` threads; the reply says how long the switch took. */
async function setCores(params: URLSearchParams, response: ServerResponse): Promise<void> {
  const threads = Number(params.get('n'));
  if (!Number.isInteger(threads) || threads < 1) return fail(response, 400, 'expected n >= 1 (threads)');
  const start = performance.now();
  try {
    session = await sessionFor(threads);
  } catch (error) {
    return fail(response, 500, error instanceof Error ? error.message : String(error));
  }
  response.end(JSON.stringify({ cores: threads, resizeMs: performance.now() - start }));
}

const server = createServer((request: IncomingMessage, response: ServerResponse) => {
  request.resume();
  request.on('end', () => {
    if (request.url === '/ping') return response.end('{}');
    if (request.url === '/stats') return response.end(JSON.stringify({ ...counts, queued: queue.length }));
    if (request.url?.startsWith('/batching')) return setBatching(new URL(request.url, 'http://127.0.0.1').searchParams, response);
    if (request.url?.startsWith('/cores')) return void setCores(new URL(request.url, 'http://127.0.0.1').searchParams, response);
    enqueue(response);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`ready ${typeof address === 'object' && address !== null ? address.port : 0} ${loadMs.toFixed(1)}\n`);
});
process.on('SIGTERM', () => {
  draining = true;
  server.close();
  server.closeIdleConnections();
  dispatch();
});
