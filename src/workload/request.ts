/** One inference request as it moves through the simulated cluster. Times are in seconds. */
export class Request {
  /** When service began; NaN while waiting. */
  startTime = NaN;

  constructor(
    readonly id: number,
    readonly arrivalTime: number,
    /** Latest acceptable completion time; Infinity without an SLO. */
    readonly deadline: number,
  ) {}
}
