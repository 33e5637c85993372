import { createRequire } from 'node:module';
import type * as Tf from '@tensorflow/tfjs';
import { RandomStreams, streamSeed } from '../engine/random.js';
import { InputError } from '../errors.js';

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

// The ml-* packages are CommonJS; they are loaded on first use, so importing this file costs nothing.
const require = createRequire(import.meta.url);
type LinearRegressionModule = typeof import('ml-regression-multivariate-linear');

// ---------------------------------------------------------------------------------------------
// Input checks

function fail(message: string): never {
  throw new InputError(message);
}

/** Checks X (non-empty, rectangular, finite) and y (same length, finite); returns the feature count. */
function checkData(X: number[][], y: number[], task: Task): number {
  if (!Array.isArray(X) || X.length === 0) fail('model training data: X must be a non-empty array of rows');
  if (!Array.isArray(y) || y.length !== X.length) fail(`model training data: y has ${y?.length} values for ${X.length} rows of X`);
  const inputs = X[0]?.length;
  if (!inputs) fail('model training data: rows of X must have at least one feature');
  X.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== inputs) fail(`model training data: row ${r} of X has ${row?.length} features, row 0 has ${inputs}`);
    for (let c = 0; c < inputs; c++) if (!Number.isFinite(row[c])) fail(`model training data: X[${r}][${c}] is ${row[c]}, not a finite number`);
  });
  y.forEach((v, r) => {
    if (!Number.isFinite(v)) fail(`model training data: y[${r}] is ${v}, not a finite number`);
    if (task === 'classification' && !(Number.isInteger(v) && v >= 0)) fail(`model training data: y[${r}] is ${v}; class labels must be integers 0, 1, 2, ...`);
  });
  return inputs;
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) fail(`model option ${name} must be an integer >= ${min}, got ${value}`);
}

function checkTask(task: Task): void {
  if (task !== 'regression' && task !== 'classification') fail(`model option task must be 'regression' or 'classification', got ${task}`);
}

const labelCount = (y: number[]) => y.reduce((max, v) => Math.max(max, v + 1), 0);

// ---------------------------------------------------------------------------------------------
// Linear regression

/** Least squares with an intercept; predicts with the library's own order of operations, so exactly as it would. */
export function trainLinear(X: number[][], y: number[]): Model {
  const inputs = checkData(X, y, 'regression');
  const Regression = require('ml-regression-multivariate-linear') as LinearRegressionModule;
  // Statistics (t-stats, standard errors) are not needed and divide by rows − columns.
  const fitted = new Regression(X, y.map((v) => [v]), { intercept: true, statistics: false });
  // weights: one row per feature, then the intercept's row.
  const weights = Float64Array.from(fitted.weights.slice(0, inputs), (w) => w[0]);
  const intercept = fitted.weights[inputs][0];
  return {
    task: 'regression',
    kind: 'linear',
    inputs,
    classes: 0,
    predict(x, rows, out) {
      for (let r = 0, base = 0; r < rows; r++, base += inputs) {
        let s = intercept;
        for (let i = 0; i < inputs; i++) s += weights[i] * x[base + i];
        out[r] = s;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Random forest

export interface ForestOptions {
  task: Task;
  trees: number;
  maxDepth: number;
  /**
   * Features each tree sees (the library bags features per tree, not per split; its classifier
   * draws them with replacement, its regression without): an integer count ≥ 2, or a fraction
   * in (0, 1]. The library reads 1 as the fraction 1.0, i.e. all features. Default: all.
   */
  maxFeatures?: number;
  seed: number;
}

/** The parts of ml-cart's TreeNode that a compiled tree needs: a split has both children. */
interface LibraryTreeNode {
  left?: LibraryTreeNode;
  right?: LibraryTreeNode;
  splitColumn: number;
  splitValue: number;
  /** Leaf: the mean of its values (regression) or an ml-matrix row of class shares (classification). */
  distribution: number | { maxRowIndex(row: number): [number, number] };
}

/** The parts of a trained RandomForestRegression / RandomForestClassifier that compileForest reads. */
export interface LibraryForest {
  isClassifier: boolean;
  /** Per tree, the original feature of each column the tree was trained on. */
  indexes: number[][];
  estimators: { root: LibraryTreeNode }[];
  selectionMethod?: string;
  predict(x: number[][]): number[];
}

/** Trains ml-random-forest's regression or classification forest (the library's own object). */
export function fitLibraryForest(X: number[][], y: number[], options: ForestOptions): LibraryForest {
  checkTask(options.task);
  const inputs = checkData(X, y, options.task);
  checkInteger('trees', options.trees, 1);
  checkInteger('maxDepth', options.maxDepth, 1);
  checkInteger('seed', options.seed, 0);
  const maxFeatures = options.maxFeatures ?? 1;
  const fraction = maxFeatures > 0 && maxFeatures <= 1;
  if (fraction ? Math.floor(maxFeatures * inputs) < 1 : !(Number.isInteger(maxFeatures) && maxFeatures <= inputs)) {
    fail(`model option maxFeatures must be a fraction in (0, 1] of the ${inputs} features (leaving at least one) or an integer 2..${inputs}, got ${maxFeatures}`);
  }
  const { RandomForestClassifier, RandomForestRegression } = require('ml-random-forest') as typeof import('ml-random-forest');
  const Forest = options.task === 'classification' ? RandomForestClassifier : RandomForestRegression;
  const forest = new Forest({
    nEstimators: options.trees,
    maxFeatures,
    // The library wants a 32-bit integer; a hash of the seed keeps every seed usable and distinct.
    seed: streamSeed(options.seed, 'forest') | 0,
    treeOptions: { maxDepth: options.maxDepth },
    // Out-of-bag predictions are never read here and cost a prediction pass per tree.
    noOOB: true,
  });
  forest.train(X, y);
  return forest as unknown as LibraryForest;
}

/**
 * Copies a trained library forest into flat arrays. At split k, a row goes to child[k] when
 * x[feature[k]] < threshold[k] (ml-cart's rule, mapped back through the tree's feature subset),
 * else to child[k] + 1. A leaf holds its prediction in value[k]: the mean (regression) or the
 * class the library's tree predicts (the first class of largest share). `classes` is the number
 * of labels in training (default: one more than the largest class a leaf predicts).
 */
export function compileForest(forest: LibraryForest, inputs: number, classes = 0): Model {
  const task: Task = forest.isClassifier ? 'classification' : 'regression';
  if (!forest.isClassifier && forest.selectionMethod !== 'mean') fail(`only the mean of the trees is compiled, not ${forest.selectionMethod}`);
  const feature: number[] = [];
  const threshold: number[] = [];
  const child: number[] = [];
  const value: number[] = [];
  const reserve = (n: number) => {
    const first = feature.length;
    for (let i = 0; i < n; i++) feature.push(0), threshold.push(0), child.push(0), value.push(0);
    return first;
  };
  /** Fills node `slot` and its subtree; returns the subtree's depth. */
  const emit = (node: LibraryTreeNode, columns: number[], slot: number): number => {
    if (node.left && node.right) {
      const children = reserve(2);
      feature[slot] = columns[node.splitColumn];
      threshold[slot] = node.splitValue;
      child[slot] = children;
      return 1 + Math.max(emit(node.left, columns, children), emit(node.right, columns, children + 1));
    }
    // A leaf steps to itself: `x < NaN` is false for every x, so the step is child + 1 = slot.
    threshold[slot] = NaN;
    child[slot] = slot - 1;
    if (typeof node.distribution === 'number') {
      value[slot] = node.distribution;
    } else {
      value[slot] = node.distribution.maxRowIndex(0)[1];
      classes = Math.max(classes, value[slot] + 1);
    }
    return 0;
  };
  const roots: number[] = [];
  const depths = forest.estimators.map((tree, t) => {
    roots.push(reserve(1));
    return emit(tree.root, forest.indexes[t], roots[t]);
  });
  const i32 = (values: number[]) => Int32Array.from(values);
  return new CompiledForest(task, inputs, classes, {
    roots: i32(roots),
    depths: i32(depths),
    feature: i32(feature),
    threshold: Float64Array.from(threshold),
    child: i32(child),
    value: Float64Array.from(value),
  });
}

interface ForestArrays {
  roots: Int32Array;
  /** Per tree, the depth of its deepest leaf. */
  depths: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  child: Int32Array;
  value: Float64Array;
}

/**
 * Predicts tree by tree over the whole batch. Every row takes exactly the tree's depth in steps
 * (leaves step to themselves) and a step is arithmetic, not a branch, so nothing mispredicts and
 * four rows descend side by side: about 4× faster than walking each row to its leaf with a branch.
 */
class CompiledForest implements Model {
  readonly kind = 'forest';
  // Scratch, grown to the largest batch seen: the leaf each row reached in the current tree, and
  // for classification each row's votes per class and its largest vote count so far.
  private leaf = new Int32Array(0);
  private votes = new Int32Array(0);
  private most = new Int32Array(0);

  constructor(
    readonly task: Task,
    readonly inputs: number,
    readonly classes: number,
    private readonly a: ForestArrays,
  ) {}

  /** Number of nodes over all trees. */
  get nodes(): number {
    return this.a.feature.length;
  }

  predict(x: Float64Array, rows: number, out: Float64Array): void {
    if (this.leaf.length < rows) {
      this.leaf = new Int32Array(rows);
      if (this.task === 'classification') (this.votes = new Int32Array(rows * this.classes)), (this.most = new Int32Array(rows));
    }
    const { leaf, votes, most, classes } = this;
    const { roots, depths, value } = this.a;
    const trees = roots.length;
    const classify = this.task === 'classification';
    if (classify) votes.fill(0, 0, rows * classes), most.fill(0, 0, rows);
    else out.fill(0, 0, rows);
    for (let t = 0; t < trees; t++) {
      this.descend(x, rows, roots[t], depths[t]);
      if (classify) {
        // ml-array-mode: the first class, in tree order, to reach the largest count wins ties.
        for (let r = 0; r < rows; r++) {
          const c = value[leaf[r]];
          const n = ++votes[r * classes + c];
          if (n > most[r]) (most[r] = n), (out[r] = c);
        }
      } else {
        for (let r = 0; r < rows; r++) out[r] += value[leaf[r]];
      }
    }
    // ml-array-mean sums in tree order from 0 and divides, as here: the results are bit-equal.
    if (!classify) for (let r = 0; r < rows; r++) out[r] /= trees;
  }

  /** leaf[r] = the leaf of the tree at `root` that row r reaches. */
  private descend(x: Float64Array, rows: number, root: number, depth: number): void {
    const { feature, threshold, child } = this.a;
    const { leaf, inputs } = this;
    // `+!(v < t)` is 0 (left) or 1 (right) without a branch, and sends NaN right as ml-cart does.
    let r = 0;
    for (; r + 3 < rows; r += 4) {
      const b0 = r * inputs;
      const b1 = b0 + inputs;
      const b2 = b1 + inputs;
      const b3 = b2 + inputs;
      let k0 = root;
      let k1 = root;
      let k2 = root;
      let k3 = root;
      for (let d = 0; d < depth; d++) {
        k0 = child[k0] + +!(x[b0 + feature[k0]] < threshold[k0]);
        k1 = child[k1] + +!(x[b1 + feature[k1]] < threshold[k1]);
        k2 = child[k2] + +!(x[b2 + feature[k2]] < threshold[k2]);
        k3 = child[k3] + +!(x[b3 + feature[k3]] < threshold[k3]);
      }
      leaf[r] = k0;
      leaf[r + 1] = k1;
      leaf[r + 2] = k2;
      leaf[r + 3] = k3;
    }
    for (; r < rows; r++) {
      const b = r * inputs;
      let k = root;
      for (let d = 0; d < depth; d++) k = child[k] + +!(x[b + feature[k]] < threshold[k]);
      leaf[r] = k;
    }
  }
}

/** Trains ml-random-forest and compiles it (see compileForest). */
export function trainForest(X: number[][], y: number[], options: ForestOptions): Model {
  const forest = fitLibraryForest(X, y, options);
  return compileForest(forest, X[0].length, options.task === 'classification' ? labelCount(y) : 0);
}

// ---------------------------------------------------------------------------------------------
// Multilayer perceptron

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
