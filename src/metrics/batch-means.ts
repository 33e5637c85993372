/**
 * Confidence interval of a long-run mean by the method of batch means, in bounded memory: the
 * observations are cut into consecutive batches; when 2·K batches are full, neighbouring pairs
 * merge and the batch size doubles, so K to 2K batches always cover the run.
 */
export class BatchMeans {
  private readonly sums: Float64Array;
  private batches = 0;
  private batchSize = 1;
  private partialSum = 0;
  private partialCount = 0;

  constructor(private readonly minBatches = 32) {
    this.sums = new Float64Array(2 * minBatches);
  }

  add(value: number): void {
    this.partialSum += value;
    if (++this.partialCount < this.batchSize) return;
    this.sums[this.batches++] = this.partialSum;
    this.partialSum = 0;
    this.partialCount = 0;
    if (this.batches === this.sums.length) {
      for (let i = 0; i < this.minBatches; i++) this.sums[i] = this.sums[2 * i] + this.sums[2 * i + 1];
      this.batches = this.minBatches;
      this.batchSize *= 2;
    }
  }

  /**
   * Two-sided 99% interval [low, high] for the mean of the full batches, or null until there
   * are enough batches (K) for the batch means to be roughly independent and normal.
   */
  interval99(): [number, number] | null {
    const k = this.batches;
    if (k < this.minBatches) return null;
    let mean = 0;
    for (let i = 0; i < k; i++) mean += this.sums[i];
    mean /= k * this.batchSize;
    let squares = 0;
    for (let i = 0; i < k; i++) squares += (this.sums[i] / this.batchSize - mean) ** 2;
    const halfWidth = studentT995(k - 1) * Math.sqrt(squares / (k - 1) / k);
    return [mean - halfWidth, mean + halfWidth];
  }
}

/**
 * The 0.995 quantile of Student's t with ν degrees of freedom, by the Cornish–Fisher expansion
 * around the normal quantile (Abramowitz & Stegun 26.7.5); within 1e-4 for ν ≥ 20.
 */
export function studentT995(nu: number): number {
  const z = 2.5758293035489004;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  const z9 = z ** 9;
  return (
    z +
    (z3 + z) / 4 / nu +
    (5 * z5 + 16 * z3 + 3 * z) / 96 / nu ** 2 +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / 384 / nu ** 3 +
    (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / 92160 / nu ** 4
  );
}
