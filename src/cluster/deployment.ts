import { z } from 'zod';
import type { EventHandler } from '../engine/event-queue.js';
import type { Simulator } from '../engine/simulator.js';
import type { DeploymentMetrics, DeploymentView } from '../metrics/run-metrics.js';
import { serviceTimeSchema } from '../profiles/service-time.js';
import type { Request } from '../workload/request.js';
import { RingQueue } from './ring-queue.js';

export const deploymentSchema = z.strictObject({
  name: z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." or "-"'),
  replicas: z.number().int().nonnegative(),
  cores: z.number().positive().default(1).describe('CPU cores per replica'),
  serviceTime: serviceTimeSchema,
  queueLimit: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('Requests that may wait in the queue; an arrival that finds it full is dropped (default: unbounded)'),
  accuracy: z.number().nonnegative().optional().describe('Accuracy of the served model variant'),
});

export type DeploymentSpec = z.infer<typeof deploymentSchema>;

/** One replica: serves one request at a time. */
class Replica {
  current: Request | null = null;
}

/**
 * A deployment of identical replicas fed from one shared FIFO queue: the multi-server queue of
 * queueing theory. Each replica serves one request at a time with service times drawn from
 * `serviceTime`.
 */
export class Deployment implements EventHandler, DeploymentView {
  readonly name: string;
  readonly accuracy: number | null;
  readonly metrics: DeploymentMetrics;
  private readonly replicas: Replica[] = [];
  private readonly idle: Replica[] = [];
  private readonly queue = new RingQueue<Request>();
  private readonly queueLimit: number;
  private readonly coresPerReplica: number;
  private busy = 0;
  // Time integrals of busy replicas and queue length, advanced at every change.
  private busyArea = 0;
  private queueArea = 0;
  private lastChange = 0;

  constructor(
    private readonly sim: Simulator,
    spec: DeploymentSpec,
    private readonly serviceTime: () => number,
    track: (view: DeploymentView) => DeploymentMetrics,
  ) {
    this.name = spec.name;
    this.accuracy = spec.accuracy ?? null;
    this.queueLimit = spec.queueLimit ?? Infinity;
    this.coresPerReplica = spec.cores;
    for (let i = 0; i < spec.replicas; i++) {
      const replica = new Replica();
      this.replicas.push(replica);
      this.idle.push(replica);
    }
    this.metrics = track(this);
  }

  /** A request arrives: it starts at once on an idle replica, waits, or is dropped when the queue is full. */
  accept(request: Request): void {
    this.metrics.onArrival();
    const replica = this.idle.pop();
    if (replica !== undefined) {
      this.advance();
      this.busy++;
      this.start(replica, request);
    } else if (this.queue.length < this.queueLimit) {
      this.advance();
      this.queue.push(request);
    } else this.metrics.onDrop(request, this.sim.now);
  }

  /** A replica finished its request. */
  handleEvent(_tag: number, data: unknown): void {
    const replica = data as Replica;
    const done = replica.current as Request;
    replica.current = null;
    this.metrics.onComplete(done, this.sim.now);
    this.advance();
    const next = this.queue.shift();
    if (next !== undefined) this.start(replica, next);
    else {
      this.busy--;
      this.idle.push(replica);
    }
  }

  private start(replica: Replica, request: Request): void {
    request.startTime = this.sim.now;
    replica.current = request;
    this.sim.post(this.sim.now + this.serviceTime(), this, 0, replica);
  }

  private advance(): void {
    const elapsed = this.sim.now - this.lastChange;
    this.busyArea += this.busy * elapsed;
    this.queueArea += this.queue.length * elapsed;
    this.lastChange = this.sim.now;
  }

  replicaCount(): number {
    return this.replicas.length;
  }

  readyReplicaCount(): number {
    return this.replicas.length;
  }

  cores(): number {
    return this.replicas.length * this.coresPerReplica;
  }

  queueLength(): number {
    return this.queue.length;
  }

  coreSeconds(now: number): number {
    return this.cores() * now;
  }

  busySeconds(now: number): number {
    return this.busyArea + this.busy * (now - this.lastChange);
  }

  queueSeconds(now: number): number {
    return this.queueArea + this.queue.length * (now - this.lastChange);
  }

  inFlightCount(): number {
    return this.busy + this.queue.length;
  }

  *inFlight(): Generator<Request> {
    for (const replica of this.replicas) if (replica.current !== null) yield replica.current;
    yield* this.queue;
  }
}
