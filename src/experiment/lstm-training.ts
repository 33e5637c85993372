import type * as Tf from '@tensorflow/tfjs';
import { RandomStreams, streamSeed } from '../engine/random.js';
import type { LstmModel } from '../policies/predictors/lstm.js';

/**
 * A Keras-equivalent LSTM in @tensorflow/tfjs for the load predictors: building it with Keras'
 * initialisers, training it as Keras' fit does, and exporting its weights in the layout the
 * run-time forward pass reads (src/policies/predictors/lstm.ts). tfjs is a dev dependency,
 * passed in by the caller, who loads it only to train.
 */

export type TfModule = typeof Tf;

/**
 * A Keras-equivalent LSTM(units, relu) + Dense(1) with Keras' defaults made explicit (tfjs's differ):
 * sigmoid gates, Glorot-uniform kernels, an orthogonal recurrent kernel, forget-gate bias 1.
 */
export function buildLstmModel(tf: TfModule, shape: { steps: number; units: number }, seed: number): Tf.Sequential {
  const model = tf.sequential();
  model.add(
    tf.layers.lstm({
      units: shape.units,
      inputShape: [shape.steps, 1],
      activation: 'relu',
      recurrentActivation: 'sigmoid',
      kernelInitializer: tf.initializers.glorotUniform({ seed: streamSeed(seed, 'lstm/kernel') }),
      // Set below: tfjs's orthogonal initialiser warns about "slowness" on every 25×100 matrix.
      recurrentInitializer: 'zeros',
      unitForgetBias: true,
    }),
  );
  model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: streamSeed(seed, 'dense/kernel') }) }));
  const lstm = model.layers[0];
  const [kernel, , bias] = lstm.getWeights();
  const recurrent = orthogonal(tf, shape.units, 4 * shape.units, streamSeed(seed, 'lstm/recurrent'));
  lstm.setWeights([kernel, recurrent, bias]);
  recurrent.dispose();
  return model;
}

/** A random matrix with orthonormal rows or columns (Keras' Orthogonal: QR of a Gaussian matrix, signs fixed by R's diagonal). */
function orthogonal(tf: TfModule, rows: number, cols: number, seed: number): Tf.Tensor2D {
  return tf.tidy(() => {
    const short = Math.min(rows, cols);
    const [q, r] = tf.linalg.qr(tf.randomNormal([Math.max(rows, cols), short], 0, 1, 'float32', seed));
    const signs = tf.sign(tf.sum(tf.mul(r, tf.eye(short)), 0));
    const fixed = tf.mul(q, signs) as Tf.Tensor2D;
    return rows < cols ? fixed.transpose() : fixed;
  });
}

/** The model's weights as the run-time forward pass reads them (lstm.ts), rounded to float32 precision. */
export function exportLstmModel(model: Tf.LayersModel): LstmModel {
  const [lstm, dense] = model.layers;
  const [kernel, recurrent, bias] = lstm.getWeights().map((w) => w.arraySync());
  const [denseKernel, denseBias] = dense.getWeights().map((w) => w.arraySync());
  const f32 = (v: number) => Number(v.toPrecision(9)); // nine digits round-trip any float32
  const units = (recurrent as number[][]).length;
  return {
    units,
    steps: model.inputs[0].shape[1] as number,
    features: (kernel as number[][]).length,
    activation: 'relu',
    recurrentActivation: 'sigmoid',
    gateOrder: 'i,f,c,o',
    kernel: (kernel as number[][]).map((row) => row.map(f32)),
    recurrentKernel: (recurrent as number[][]).map((row) => row.map(f32)),
    bias: (bias as number[]).map(f32),
    denseKernel: (denseKernel as number[][]).map((row) => f32(row[0])),
    denseBias: f32((denseBias as number[])[0]),
  };
}

/**
 * The model's output for a batch, computed from its weights with the batch along the columns:
 * xAug is [steps, 2, batch] (the input and a row of ones that carries the bias). This is the
 * same function as model.predict; tfjs's own LSTM layer splits the gates along the last axis,
 * which its CPU backend copies element by element, and trains ~2× slower.
 */
export function lstmGraph(tf: TfModule, model: Tf.LayersModel, xAug: Tf.Tensor3D): Tf.Tensor2D {
  const [kernel, recurrent, bias, denseKernel, denseBias] = model.trainableWeights.map((w) => w.read());
  const units = recurrent.shape[0];
  const batch = xAug.shape[2];
  const inputWeights = tf.concat([kernel, bias.reshape([1, 4 * units])], 0);
  let h: Tf.Tensor2D = tf.zeros([units, batch]);
  let c: Tf.Tensor2D = tf.zeros([units, batch]);
  for (const x of tf.unstack(xAug, 0) as Tf.Tensor2D[]) {
    const z = tf.add(tf.matMul(inputWeights, x, true), tf.matMul(recurrent as Tf.Tensor2D, h, true));
    const [i, f, candidate, o] = tf.split(z, 4, 0);
    c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.relu(candidate)));
    h = tf.mul(tf.sigmoid(o), tf.relu(c));
  }
  return tf.add(tf.matMul(denseKernel as Tf.Tensor2D, h, true), denseBias.reshape([]));
}

/** The [steps, 2, batch] input of lstmGraph for the samples `rows` of x ([n × steps]). */
export function augmentedBatch(tf: TfModule, x: Float32Array, steps: number, rows: ArrayLike<number>): Tf.Tensor3D {
  const batch = rows.length;
  const values = new Float32Array(steps * 2 * batch);
  for (let t = 0; t < steps; t++) {
    const base = t * 2 * batch;
    for (let b = 0; b < batch; b++) {
      values[base + b] = x[rows[b] * steps + t];
      values[base + batch + b] = 1;
    }
  }
  return tf.tensor3d(values, [steps, 2, batch]);
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** L1 penalty on the LSTM's input kernel, added to the MSE as Keras' kernel_regularizer does. */
  l1: number;
  seed: number;
  onEpoch?: (epoch: number, meanLoss: number) => void;
}

/**
 * Minibatch Adam on MSE + L1, as Keras' fit: every epoch visits the samples in a fresh seeded
 * order, the last batch may be short. Returns the mean loss of each epoch.
 */
export function fitLstm(tf: TfModule, model: Tf.LayersModel, x: Float32Array, y: Float32Array, options: FitOptions): number[] {
  const steps = model.inputs[0].shape[1] as number;
  const n = y.length;
  const variables = model.trainableWeights.map((w) => w.read() as Tf.Variable);
  const kernel = variables[0];
  const optimizer = tf.train.adam(options.learningRate);
  const shuffle = new RandomStreams(options.seed).uniform('shuffle');
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const losses: number[] = [];
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(shuffle() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let total = 0;
    for (let start = 0; start < n; start += options.batchSize) {
      const rows = order.subarray(start, Math.min(n, start + options.batchSize));
      const targets = Float32Array.from(rows, (r) => y[r]);
      total +=
        tf.tidy(() => {
          const input = augmentedBatch(tf, x, steps, rows);
          const target = tf.tensor2d(targets, [1, rows.length]);
          const loss = () => tf.add(tf.losses.meanSquaredError(target, lstmGraph(tf, model, input)), tf.mul(options.l1, tf.sum(tf.abs(kernel)))) as Tf.Scalar;
          return optimizer.minimize(loss, true, variables)!.dataSync()[0];
        }) * rows.length;
    }
    losses.push(total / n);
    options.onEpoch?.(epoch + 1, total / n);
  }
  optimizer.dispose();
  return losses;
}
