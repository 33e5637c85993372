import type * as Tf from '@tensorflow/tfjs';
import { RandomStreams, streamSeed } from '../../engine/random.js';
import { checkData, checkInteger, checkTask, fail, labelCount } from './checks.js';
import type { Model, Task } from './model.js';

type TfModule = typeof Tf;

export interface MlpOptions {
  task: Task;
  /** Classification: number of classes (default: largest label + 1). */
  classes?: number;
  hidden: number[];
  epochs: number;
  /** Adam's step size (default 0.001, Keras' and scikit-learn's). */
  learningRate?: number;
  /** Rows per Adam step (default min(200, rows), scikit-learn's MLP default). */
  batchSize?: number;
  seed: number;
}

export async function loadTfjs(): Promise<TfModule> {
  const tf = await import('@tensorflow/tfjs');
  // Production mode drops tfjs's debug checks and its banner recommending tfjs-node.
  tf.enableProdMode();
  await tf.setBackend('cpu');
  return tf;
}

/** Mean and standard deviation of each column (a constant column gets deviation 1). */
function columnMoments(X: number[][]): { mean: Float64Array; std: Float64Array } {
  const inputs = X[0].length;
  const mean = new Float64Array(inputs);
  const std = new Float64Array(inputs);
  for (const row of X) for (let c = 0; c < inputs; c++) mean[c] += row[c] / X.length;
  for (const row of X) for (let c = 0; c < inputs; c++) std[c] += (row[c] - mean[c]) ** 2 / X.length;
  for (let c = 0; c < inputs; c++) std[c] = Math.sqrt(std[c]) || 1;
  return { mean, std };
}

export interface FittedMlp {
  /** The trained tfjs network; it reads standardised inputs. The caller disposes it. */
  network: Tf.Sequential;
  task: Task;
  classes: number;
  mean: Float64Array;
  std: Float64Array;
  /** Regression: the network predicts (y − targetMean) / targetStd. */
  targetMean: number;
  targetStd: number;
}

/**
 * Trains a ReLU MLP with tfjs: seeded Glorot-uniform kernels and zero biases, minibatch Adam in a
 * seeded order every epoch, softmax cross-entropy (classification) or MSE on the standardised
 * target (regression). Deterministic for a given seed on the cpu backend.
 */
export async function fitMlpNetwork(X: number[][], y: number[], options: MlpOptions): Promise<FittedMlp> {
  checkTask(options.task);
  const inputs = checkData(X, y, options.task);
  if (!Array.isArray(options.hidden)) fail('model option hidden must be an array of layer widths');
  options.hidden.forEach((units, i) => checkInteger(`hidden[${i}]`, units, 1));
  checkInteger('epochs', options.epochs, 1);
  checkInteger('seed', options.seed, 0);
  const rows = X.length;
  const batchSize = options.batchSize ?? Math.min(200, rows);
  checkInteger('batchSize', batchSize, 1);
  const learningRate = options.learningRate ?? 0.001;
  if (!(Number.isFinite(learningRate) && learningRate > 0)) fail(`model option learningRate must be a positive number, got ${learningRate}`);
  const classify = options.task === 'classification';
  const classes = classify ? (options.classes ?? labelCount(y)) : 0;
  if (classify) {
    checkInteger('classes', classes, 2);
    if (labelCount(y) > classes) fail(`model training data: label ${labelCount(y) - 1} is not below classes = ${classes}`);
  }

  const { mean, std } = columnMoments(X);
  const target = classify ? { mean: [0], std: [1] } : columnMoments(y.map((v) => [v]));
  const targetMean = target.mean[0];
  const targetStd = target.std[0];
  const xs = new Float32Array(rows * inputs);
  X.forEach((row, r) => row.forEach((v, c) => (xs[r * inputs + c] = (v - mean[c]) / std[c])));
  const outputs = classify ? classes : 1;
  const ys = new Float32Array(rows * outputs);
  y.forEach((v, r) => (classify ? (ys[r * classes + v] = 1) : (ys[r] = (v - targetMean) / targetStd)));

  const tf = await loadTfjs();
  const network = tf.sequential();
  const widths = [...options.hidden, outputs];
  widths.forEach((units, i) =>
    network.add(
      tf.layers.dense({
        units,
        inputShape: i === 0 ? [inputs] : undefined,
        activation: i < widths.length - 1 ? 'relu' : classify ? 'softmax' : 'linear',
        kernelInitializer: tf.initializers.glorotUniform({ seed: streamSeed(options.seed, `mlp/dense${i}/kernel`) }),
        biasInitializer: 'zeros',
      }),
    ),
  );

  // The loss is built from the layers' variables: softmax cross-entropy wants the logits, which
  // the softmax layer (kept so that network.predict gives probabilities) does not expose.
  const variables = network.trainableWeights.map((w) => w.read() as Tf.Variable);
  const logits = (input: Tf.Tensor2D) => {
    let a: Tf.Tensor2D = input;
    for (let l = 0; l < widths.length; l++) {
      a = tf.add(tf.matMul(a, variables[2 * l] as Tf.Tensor2D), variables[2 * l + 1]);
      if (l < widths.length - 1) a = tf.relu(a);
    }
    return a;
  };
  const xAll = tf.tensor2d(xs, [rows, inputs]);
  const yAll = tf.tensor2d(ys, [rows, outputs]);
  const optimizer = tf.train.adam(learningRate);
  const shuffle = new RandomStreams(options.seed).uniform('mlp/shuffle');
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      for (let i = rows - 1; i > 0; i--) {
        const j = Math.floor(shuffle() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (let start = 0; start < rows; start += batchSize) {
        tf.tidy(() => {
          const batch = tf.tensor1d(order.subarray(start, Math.min(rows, start + batchSize)), 'int32');
          const xb = tf.gather(xAll, batch) as Tf.Tensor2D;
          const yb = tf.gather(yAll, batch);
          const loss = () => (classify ? tf.losses.softmaxCrossEntropy(yb, logits(xb)) : tf.losses.meanSquaredError(yb, logits(xb))) as Tf.Scalar;
          optimizer.minimize(loss, false, variables);
        });
      }
    }
  } finally {
    optimizer.dispose();
    xAll.dispose();
    yAll.dispose();
  }
  return { network, task: options.task, classes, mean, std, targetMean, targetStd };
}

/** One dense layer in plain arrays: weights[o · inputs + i] is the weight from input i to output o. */
export interface DenseLayer {
  inputs: number;
  outputs: number;
  weights: Float64Array;
  bias: Float64Array;
}

export interface MlpModel extends Model {
  readonly kind: 'mlp';
  /** Values per row of `forward`: classes (probabilities) or 1 (the predicted value). */
  readonly outputs: number;
  readonly mean: Float64Array;
  readonly std: Float64Array;
  readonly layers: readonly DenseLayer[];
  /** Class probabilities (rows × classes, row-major) or predicted values into out. No allocation per call. */
  forward(x: Float64Array, rows: number, out: Float64Array): void;
}

/** Copies a trained network's weights into a plain forward pass (ReLU hidden layers). */
export function compileMlp(fitted: FittedMlp): MlpModel {
  const layers: DenseLayer[] = [];
  const weights = fitted.network.getWeights();
  for (let l = 0; l < weights.length; l += 2) {
    const [inputs, outputs] = weights[l].shape;
    const kernel = weights[l].dataSync(); // [inputs][outputs], row-major
    const transposed = new Float64Array(inputs * outputs);
    for (let i = 0; i < inputs; i++) for (let o = 0; o < outputs; o++) transposed[o * inputs + i] = kernel[i * outputs + o];
    layers.push({ inputs, outputs, weights: transposed, bias: Float64Array.from(weights[l + 1].dataSync()) });
  }
  return new PlainMlp(fitted, layers);
}

class PlainMlp implements MlpModel {
  readonly kind = 'mlp';
  readonly task: Task;
  readonly inputs: number;
  readonly classes: number;
  readonly outputs: number;
  readonly mean: Float64Array;
  readonly std: Float64Array;
  private readonly targetMean: number;
  private readonly targetStd: number;
  // Activations of one row at a time, in two buffers of the widest layer used in turn: they stay
  // in L1 and fit any batch, so nothing grows with the batch (measured no faster layer by layer).
  private readonly a: Float64Array;
  private readonly b: Float64Array;

  constructor(
    fitted: FittedMlp,
    readonly layers: readonly DenseLayer[],
  ) {
    this.task = fitted.task;
    this.classes = fitted.classes;
    this.mean = fitted.mean;
    this.std = fitted.std;
    this.targetMean = fitted.targetMean;
    this.targetStd = fitted.targetStd;
    this.inputs = layers[0].inputs;
    this.outputs = layers[layers.length - 1].outputs;
    const widest = Math.max(this.inputs, ...layers.map((l) => l.outputs));
    this.a = new Float64Array(widest);
    this.b = new Float64Array(widest);
  }

  /** The network's last-layer values (logits, or the standardised prediction) for row r, in the returned buffer. */
  private row(x: Float64Array, r: number): Float64Array {
    const { inputs, mean, std, layers } = this;
    let input = this.a;
    let output = this.b;
    for (let i = 0, base = r * inputs; i < inputs; i++) input[i] = (x[base + i] - mean[i]) / std[i];
    for (let l = 0; l < layers.length; l++) {
      const { inputs: n, outputs: m, weights, bias } = layers[l];
      const relu = l < layers.length - 1;
      let o = 0;
      // Four outputs at a time: four independent sums keep the FPU busy where one sum would wait
      // on its own additions (about 2× faster on these narrow layers).
      for (; o + 3 < m; o += 4) {
        let s0 = bias[o];
        let s1 = bias[o + 1];
        let s2 = bias[o + 2];
        let s3 = bias[o + 3];
        const w0 = o * n;
        const w1 = w0 + n;
        const w2 = w1 + n;
        const w3 = w2 + n;
        for (let i = 0; i < n; i++) {
          const v = input[i];
          s0 += weights[w0 + i] * v;
          s1 += weights[w1 + i] * v;
          s2 += weights[w2 + i] * v;
          s3 += weights[w3 + i] * v;
        }
        output[o] = relu && s0 < 0 ? 0 : s0;
        output[o + 1] = relu && s1 < 0 ? 0 : s1;
        output[o + 2] = relu && s2 < 0 ? 0 : s2;
        output[o + 3] = relu && s3 < 0 ? 0 : s3;
      }
      for (; o < m; o++) {
        let s = bias[o];
        for (let i = 0, w = o * n; i < n; i++, w++) s += weights[w] * input[i];
        output[o] = relu && s < 0 ? 0 : s;
      }
      const swap = input;
      input = output;
      output = swap;
    }
    return input;
  }

  predict(x: Float64Array, rows: number, out: Float64Array): void {
    const classes = this.classes;
    for (let r = 0; r < rows; r++) {
      const z = this.row(x, r);
      if (classes > 0) {
        // Softmax is monotone: the largest logit is the most probable class (the first on ties).
        let best = 0;
        for (let c = 1; c < classes; c++) if (z[c] > z[best]) best = c;
        out[r] = best;
      } else {
        out[r] = this.targetMean + this.targetStd * z[0];
      }
    }
  }

  forward(x: Float64Array, rows: number, out: Float64Array): void {
    const classes = this.classes;
    for (let r = 0; r < rows; r++) {
      const z = this.row(x, r);
      if (classes === 0) {
        out[r] = this.targetMean + this.targetStd * z[0];
        continue;
      }
      let max = z[0];
      for (let c = 1; c < classes; c++) max = Math.max(max, z[c]);
      let total = 0;
      for (let c = 0; c < classes; c++) total += Math.exp(z[c] - max);
      for (let c = 0; c < classes; c++) out[r * classes + c] = Math.exp(z[c] - max) / total;
    }
  }
}

/** Trains with tfjs (fitMlpNetwork) and returns the plain forward pass; the tfjs network is disposed. */
export async function trainMlp(X: number[][], y: number[], options: MlpOptions): Promise<MlpModel> {
  const fitted = await fitMlpNetwork(X, y, options);
  try {
    return compileMlp(fitted);
  } finally {
    fitted.network.dispose();
  }
}
