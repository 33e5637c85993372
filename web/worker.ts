// The engine's thread: runs one spec per message and posts progress and the result, so the page
// stays responsive while a long run simulates.
import { runInBrowser } from '../src/web/engine.js';

export type WorkerRequest = { id: number; spec: string; folder?: string };
export type WorkerReply =
  | { id: number; kind: 'progress'; fraction: number }
  | { id: number; kind: 'done'; summary: unknown; rows: unknown[]; seconds: number }
  | { id: number; kind: 'error'; message: string };

const post = (reply: WorkerReply) => (self as unknown as Worker).postMessage(reply);

self.addEventListener('message', async (event: MessageEvent<WorkerRequest>) => {
  const { id, spec, folder } = event.data;
  const started = performance.now();
  let last = -1;
  try {
    const run = await runInBrowser(spec, (fraction) => {
      // A message per percent is plenty for a progress bar.
      const percent = Math.floor(fraction * 100);
      if (percent !== last) post({ id, kind: 'progress', fraction: (last = percent) / 100 });
    }, folder);
    post({ id, kind: 'done', summary: run.summary, rows: run.rows, seconds: (performance.now() - started) / 1000 });
  } catch (error) {
    post({ id, kind: 'error', message: error instanceof Error ? error.message : String(error) });
  }
});
