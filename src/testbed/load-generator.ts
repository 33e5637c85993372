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
  /** The HTTP status of the reply; 0 where none came (no server, refused, reset, timed out). */
  status?: number;
  /**
   * Through a pipeline of several stages: each hop's own response, in order, up to the first that
   * failed. The request's own fields then run from the first send to the last reply, its times
   * summed over the hops, the rest of the last hop's.
   */
  hops?: Response[];
}

/** Where hop `hop` of a request goes; null when no server can take it (the request fails there). */
export type Pick = (hop: number) => Target | null;

/** Where a request goes: a server's port, with the deployment it belongs to when there are several. */
export type Target = number | { port: number; deployment: string };

/**
 * Connections the load generator opens to one server at most: 1024, Envoy's default for the
 * connections to one upstream cluster (circuit breakers, `max_connections`), and as many as the
 * requests a model server holds (model-server.ts). Node's own default is no limit, so a stalled
 * server made the client open a socket per request; past the cap, requests wait in the client,
 * each within its own timeout.
 */
export const MAX_SOCKETS_PER_SERVER = 1024;

/** Bytes of a reply the load generator reads (a model server's reply is under a hundred). */
const MAX_REPLY_BYTES = 64 * 1024;

/**
 * A reply's figures: a JSON object whose `serviceMs`, `waitMs` and `batch`, where present, are
 * numbers (a ping's `{}` has none). Anything else is a malformed reply: null.
 */
function parseReply(body: string): { serviceMs?: number; waitMs?: number; batch?: number } | null {
  let reply: unknown;
  try {
    reply = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) return null;
  const figures: { serviceMs?: number; waitMs?: number; batch?: number } = {};
  for (const key of ['serviceMs', 'waitMs', 'batch'] as const) {
    const value = (reply as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (typeof value !== 'number') return null;
    figures[key] = value;
  }
  return figures;
}

/**
 * Open-loop replay against servers on 127.0.0.1: each request is sent at its arrival time
 * whatever happened to the earlier ones (a timer tick sends every arrival that is due, so sends
 * are quantised to Node's ~1 ms timers). `times` is read as the replay goes (a generator over an
 * arrival process holds one time at a time); it must be finite and non-decreasing. Bounded: every
 * request ends within `timeoutSeconds` of being sent, whether it waits for a connection, for the
 * server or for the rest of its reply; a failure of any kind (no server, refused, reset, timed
 * out, a status other than 200, a malformed reply) is a response with `ok: false`, never a throw.
 * Responses come back in the order they were sent. With `hops` > 1 this process is the pipeline's
 * router: a request's reply from one stage is sent on at once to the next (`target(hop)`), and its
 * timeout covers every hop; `onReply` hears of each hop. With `uploadSeconds`, each request first
 * uploads its payload for that long from its send time (a client's uplink, as the simulator's
 * network upload): its latency and timeout run from the send.
 */
export async function replay(
  target: number | Pick,
  path: string,
  times: Iterable<number>,
  timeoutSeconds: number,
  onReply?: (response: Response) => void,
  options: { maxSocketsPerServer?: number; hops?: number; uploadSeconds?: (sent: number) => number } = {},
): Promise<Response[]> {
  const pick: Pick = typeof target === 'number' ? () => target : target;
  const hops = options.hops ?? 1;
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSocketsPerServer ?? MAX_SOCKETS_PER_SERVER });
  const start = performance.now();
  const now = () => (performance.now() - start) / 1000;
  const responses: Response[] = [];
  let outstanding = 0;
  let allSent = false;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));

  /** The request's response once its last hop is done (or one failed). */
  const finishRequest = (index: number, done: Response[]) => {
    const last = done[done.length - 1];
    const response =
      hops === 1
        ? last
        : {
            ...last,
            sent: done[0].sent,
            ok: last.ok && done.length === hops,
            serviceMs: done.reduce((sum, h) => sum + h.serviceMs, 0),
            waitMs: done.reduce((sum, h) => sum + h.waitMs, 0),
            hops: done,
          };
    responses[index] = response;
    outstanding--;
    if (allSent && outstanding === 0) finish();
  };

  /** Sends hop `hop` of request `index` now; its response's `sent` is `sent` (the first hop's: when the client began, before its upload). */
  const send = (index: number, hop: number, deadlineAt: number, done: Response[], sent = now()) => {
    const picked = pick(hop);
    const port = typeof picked === 'object' && picked !== null ? picked.port : picked;
    const deployment = typeof picked === 'object' && picked !== null ? picked.deployment : undefined;
    let settled = false;
    let deadline: NodeJS.Timeout | null = null;
    /** The reply's HTTP status, once its head has come. */
    let status = 0;
    const settle = (ok: boolean, reply: { serviceMs?: number; waitMs?: number; batch?: number } = {}) => {
      if (settled) return;
      settled = true;
      if (deadline !== null) clearTimeout(deadline);
      const response: Response = { sent, received: now(), ok, serviceMs: reply.serviceMs ?? NaN, waitMs: reply.waitMs ?? NaN, batch: reply.batch ?? NaN, port: port ?? -1, deployment, status };
      done.push(response);
      onReply?.(response);
      if (ok && hop + 1 < hops) send(index, hop + 1, deadlineAt, done);
      else finishRequest(index, done);
    };
    // No ready server: the request fails at once, as it would against a Service with no endpoints.
    if (port === null) return settle(false);
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent }, (res) => {
      status = res.statusCode ?? 0;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > MAX_REPLY_BYTES) req.destroy();
      });
      res.on('end', () => {
        const reply = status === 200 ? parseReply(body) : null;
        settle(reply !== null, reply ?? {});
      });
      res.on('error', () => settle(false));
      res.on('close', () => settle(false));
    });
    // The whole request, from its first send, not only the socket's idle time: a request waiting
    // for one of the agent's connections is bounded too.
    deadline = setTimeout(() => req.destroy(), Math.max(0, (deadlineAt - now()) * 1000));
    req.on('error', () => settle(false));
    req.on('close', () => settle(false));
    req.end();
  };

  const upcoming = times[Symbol.iterator]();
  // The next arrival time; null at the end (a time that is not finite ends the replay too).
  const advance = () => {
    const item = upcoming.next();
    return item.done === true || !Number.isFinite(item.value) ? null : item.value;
  };
  let next = advance();
  let index = 0;
  // An arrival source that fails mid-replay (a bad line further into a trace) stops the sending;
  // the requests already sent are waited for, then the replay rejects with its error.
  let sourceError: unknown = null;
  await new Promise<void>((resolve) => {
    const tick = () => {
      try {
        const t = now();
        while (next !== null && next <= t) {
          // The request is the client's from now: its upload, then its hops, all within its timeout.
          const sent = now();
          const i = index++;
          const upload = options.uploadSeconds?.(sent) ?? 0;
          outstanding++;
          if (upload > 0) setTimeout(() => send(i, 0, sent + timeoutSeconds, [], sent), Math.min(upload, timeoutSeconds) * 1000);
          else {
            try {
              send(i, 0, sent + timeoutSeconds, [], sent);
            } catch (error) {
              outstanding--;
              throw error;
            }
          }
          next = advance();
        }
      } catch (error) {
        sourceError = error;
        next = null;
      }
      if (next !== null) setTimeout(tick, Math.max(0, (next - now()) * 1000 - 0.5));
      else resolve();
    };
    tick();
  });
  allSent = true;
  if (outstanding > 0) await finished;
  agent.destroy();
  if (sourceError !== null) throw sourceError;
  return responses;
}
