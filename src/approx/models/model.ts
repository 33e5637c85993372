/**
 * The models of approximate pipelines: small models trained in-process, then copied into plain
 * typed arrays and evaluated on whole batches of feature rows (a microsecond or less a row) with
 * no allocation and no library call on the way. Training uses ml-regression-multivariate-linear,
 * ml-random-forest and @tensorflow/tfjs; prediction uses none of them.
 */

export type Task = 'regression' | 'classification';

export interface Model {
  readonly task: Task;
  readonly kind: 'linear' | 'forest' | 'mlp';
  /** Number of input features per row. */
  readonly inputs: number;
  /** Classes (classification only; predictions are class indices 0..classes-1 as numbers). */
  readonly classes: number;
  /** Predicts `rows` rows of `inputs` features stored row-major in x into out[0..rows). No allocation per call. */
  predict(x: Float64Array, rows: number, out: Float64Array): void;
}
