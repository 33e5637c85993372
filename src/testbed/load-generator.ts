import { Agent, request } from 'node:http';

export interface Response {
  /** Seconds since the start of the replay. */
  sent: number;
  received: number;
  ok: boolean;
  /** Time the server spent in inference on the request's batch, ms (from its reply). */
  serviceMs: number;
  /** Time the request waited in the server's queue, ms (from its reply). */
  waitMs: number;
  /** Requests in the batch the server served it in (NaN where it failed). */
  batch: number;
  /** The server (port) it was sent to. */
  port: number;
  /** The deployment the router sent it to, where the target names one. */
  deployment?: string;
}

/** Where a request goes: a server's port, with the deployment it belongs to when there are several. */
export type Target = number | { port: number; deployment: string };

/**
 * Open-loop replay against a server on 127.0.0.1: each request is sent at its arrival time
 * whatever happened to the earlier ones (a timer tick sends every arrival that is due, so sends
 * are quantised to Node's ~1 ms timers). Bounded: `times` is finite and every request times out
 * after `timeoutSeconds`.
 */
export async function replay(
  target: number | (() => Target | null),
  path: string,
  times: number[],
  timeoutSeconds: number,
  onReply?: (response: Response) => void,
): Promise<Response[]> {
  const pick = typeof target === 'number' ? () => target : target;
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const start = performance.now();
  const now = () => (performance.now() - start) / 1000;
  const pending: Promise<Response>[] = [];
  const send = () =>
    new Promise<Response>((resolve) => {
      const sent = now();
      const picked = pick();
      const port = typeof picked === 'object' && picked !== null ? picked.port : picked;
      const deployment = typeof picked === 'object' && picked !== null ? picked.deployment : undefined;
      const done = (ok: boolean, reply: { serviceMs?: number; waitMs?: number; batch?: number } = {}) => {
        const response: Response = { sent, received: now(), ok, serviceMs: reply.serviceMs ?? NaN, waitMs: reply.waitMs ?? NaN, batch: reply.batch ?? NaN, port: port ?? -1, deployment };
        onReply?.(response);
        resolve(response);
      };
      // No ready server: the request fails at once, as it would against a Service with no endpoints.
      if (port === null) return done(false);
      const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, timeout: timeoutSeconds * 1000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => done(res.statusCode === 200, JSON.parse(body || '{}')));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => done(false));
      req.end();
    });
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = now();
      while (next < times.length && times[next] <= t) {
        pending.push(send());
        next++;
      }
      if (next < times.length) setTimeout(tick, Math.max(0, (times[next] - now()) * 1000 - 0.5));
      else resolve();
    };
    tick();
  });
  const responses = await Promise.all(pending);
  agent.destroy();
  return responses;
}
