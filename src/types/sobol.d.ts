/** The `sobol` package (Joe–Kuo direction numbers) ships no types. */
declare module 'sobol' {
  export class SobolSequenceGenerator {
    constructor(dimension: number);
    /** The next point of the sequence, each coordinate in [0, 1); the first is all zeros. */
    nextVector(): number[];
  }
}
