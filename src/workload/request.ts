/** One inference request as it moves through the simulated cluster. Times are in seconds. */
export class Request {
  /** When it joined the queue of the stage it is in. */
  stageArrival: number;
  /** When service began at the current stage; NaN while waiting. */
  startTime = NaN;
  /** Seconds spent waiting in queues, over all stages so far. */
  waitSeconds = 0;
  /** Pipeline accuracy so far (a product or a sum, as the pipeline says); NaN while unknown. */
  accuracy = NaN;
  /** Index of the pipeline stage it is in. */
  stage = 0;
  /** The original request when this is one branch of a fan-out; itself otherwise. */
  root: Request = this;
  /** Set on the root when the request was dropped somewhere: its other branches are ignored. */
  failed = false;
  /** For fan-in: parents still to finish, per stage index (on the root only). */
  pendingParents: Int32Array | null = null;

  constructor(
    readonly id: number,
    /** When the client sent it. */
    readonly arrivalTime: number,
    /** Latest acceptable completion time; Infinity without an SLO. */
    readonly deadline: number,
  ) {
    this.stageArrival = arrivalTime;
  }

  /** A copy that follows one branch of a fan-out and reports to the same root. */
  branch(): Request {
    const copy = new Request(this.id, this.arrivalTime, this.deadline);
    copy.root = this.root;
    copy.waitSeconds = this.waitSeconds;
    copy.accuracy = this.accuracy;
    return copy;
  }
}
