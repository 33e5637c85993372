/**
 * A model server: one OS process serving one ONNX model over HTTP on 127.0.0.1, with a batcher
 * like the simulated one (FIFO, at most `maxBatch` requests, waiting at most `maxWaitMs` for a
 * batch to fill) and one batch in service at a time. The request carries no payload: the input
 * tensor is made once, so what is measured is inference plus the loopback round trip.
 *
 * Run as `node dist/model-server.js MODEL IMAGE_SIZE CORES MAX_BATCH MAX_WAIT_MS`; it prints
 * `ready PORT LOAD_MS` on stdout once the model is loaded. `GET /ping` answers without inference.
 * `POST /batching?maxBatch=N&maxWaitMs=M` changes the batching of the running server (the
 * testbed's `batch` action): it applies from the next dispatch on, as the simulated batcher's does.
 */
import { createServer, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');

const [model, imageSize, cores, maxBatch, maxWaitMs] = process.argv.slice(2);
const size = Number(imageSize);
let batchLimit = Number(maxBatch);
let waitMs = Number(maxWaitMs);

const loadStart = performance.now();
const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: Number(cores),
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});
const inputs = new Map<number, InstanceType<typeof ort.Tensor>>();
const inputOf = (batch: number) => {
  let tensor = inputs.get(batch);
  if (tensor === undefined) {
    tensor = new ort.Tensor('float32', new Float32Array(batch * 3 * size * size).fill(0.5), [batch, 3, size, size]);
    inputs.set(batch, tensor);
  }
  return tensor;
};
await session.run({ input: inputOf(1) }); // warm-up
const loadMs = performance.now() - loadStart;

const queue: { response: ServerResponse; arrived: number }[] = [];
let busy = false;
let timer: NodeJS.Timeout | null = null;

async function serveBatch(): Promise<void> {
  busy = true;
  const batch = queue.splice(0, batchLimit);
  const start = performance.now();
  await session.run({ input: inputOf(batch.length) });
  const serviceMs = performance.now() - start;
  for (const { response, arrived } of batch) {
    response.end(JSON.stringify({ batch: batch.length, serviceMs, waitMs: start - arrived }));
  }
  busy = false;
  dispatch();
}

function dispatch(): void {
  if (busy || queue.length === 0) return;
  const due = queue[0].arrived + waitMs;
  if (queue.length >= batchLimit || performance.now() >= due) {
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

/** New batching limits; a batch waiting on the old wait is re-dispatched under the new one. */
function setBatching(params: URLSearchParams, response: ServerResponse): void {
  const nextBatch = Number(params.get('maxBatch'));
  const nextWait = Number(params.get('maxWaitMs'));
  if (!Number.isInteger(nextBatch) || nextBatch < 1 || !Number.isFinite(nextWait) || nextWait < 0) {
    response.statusCode = 400;
    return void response.end('{"error":"expected maxBatch >= 1 and maxWaitMs >= 0"}');
  }
  batchLimit = nextBatch;
  waitMs = nextWait;
  if (timer !== null) clearTimeout(timer);
  timer = null;
  dispatch();
  response.end(JSON.stringify({ maxBatch: batchLimit, maxWaitMs: waitMs }));
}

const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    if (request.url === '/ping') return response.end('{}');
    if (request.url?.startsWith('/batching')) return setBatching(new URL(request.url, 'http://127.0.0.1').searchParams, response);
    queue.push({ response, arrived: performance.now() });
    dispatch();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`ready ${typeof address === 'object' && address !== null ? address.port : 0} ${loadMs.toFixed(1)}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
