/**
 * A load predictor: from the arrivals a controller observed, the request rate to provision for.
 *
 * `history` holds the requests that arrived in each whole second (so each entry is a rate in
 * requests/s), oldest first, most recent last: the last N seconds the controller observed. The
 * prediction is a rate in requests/s, safety margin included, never negative. Which rate it
 * estimates (the peak second of the next minute, the mean of the next seconds, …) is each
 * predictor's own and is said where it is defined. An empty history predicts 0.
 */
export interface LoadPredictor {
  readonly name: string;
  predict(history: ArrayLike<number>): number;
}
