import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import { RandomStreams, streamSeed } from '../../engine/random.js';
import { InputError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-file.js';
import { packageRoot } from '../../paths.js';
import { readTraceCounts } from '../../workload/trace.js';
import { infadapterEwma, infadapterLstm, ipaLstm, LSTM_FILE_FORMAT, type LstmFile, type LstmModel } from './lstm.js';
import type { LoadPredictor } from './predictor.js';
import { blockMaxima, ewma, lastValue, maxOfRange, maxOverWindow } from './simple.js';

/**
 * Trains InfAdapter's and IPA's LSTM load predictors on the Twitter trace with @tensorflow/tfjs
 * (a dev dependency, loaded only here and only when training) and scores them and simple
 * baselines on held-out days. Deterministic: seeded initialisers, a seeded shuffle, fixed epochs.
 */

type TfModule = typeof Tf;

export const TWITTER_TRACE = 'traces/twitter_2021_08/twitter_per_second.csv';
const DAY = 86_400;
/** Both papers train on the first 14 days; the test days start at day 15, where their evaluation windows lie. */
export const TRAIN_ROWS = { start: 0, duration: 14 * DAY };
export const TEST_ROWS = { start: 15 * DAY };

export interface PredictorTask {
  name: 'infadapter-lstm' | 'ipa-lstm';
  /** Counts are integer-divided by this before anything else (IPA's damping_factor). */
  damping: number;
  blockSeconds: number;
  blocks: number;
  horizonSeconds: number;
  /** Seconds between the starts of consecutive samples (the step of the authors' get_x_y loop). */
  strideSeconds: number;
  units: number;
  l1: number;
  batchSize: number;
  learningRate: number;
  paperEpochs: number;
  /** Epochs when --epochs is not given: the paper's where the pure-JS backend trains them in minutes. */
  defaultEpochs: number;
  source: string;
  /** The predictors scored on the test days: the LSTM first, then baselines. */
  contenders(file: LstmFile): LoadPredictor[];
}

/**
 * Both authors' scripts: Keras LSTM(25, activation="relu", kernel_regularizer=L1(1e-5)) + Dense(1),
 * Adam (Keras defaults, lr 0.001), MSE, batch 64, 30 epochs, tf seed 7, Keras' default shuffle.
 */
const KERAS_RECIPE = { units: 25, l1: 1e-5, batchSize: 64, learningRate: 0.001, paperEpochs: 30 };

export const INFADAPTER_TASK: PredictorTask = {
  name: 'infadapter-lstm',
  damping: 1,
  blockSeconds: 60,
  blocks: 10,
  horizonSeconds: 60,
  strideSeconds: 60,
  ...KERAS_RECIPE,
  defaultEpochs: 30,
  source: 'reconfigurable-ml-pipeline/InfAdapter auto_tuner/adapter/forecasters/lstm_forecaster.py',
  contenders: (file) => [
    infadapterLstm(file),
    infadapterLstm(file, { margin: 0 }),
    infadapterEwma(),
    lastValue(),
    ewma(10),
    maxOverWindow(60),
    maxOverWindow(600),
  ],
};

export const IPA_TASK: PredictorTask = {
  name: 'ipa-lstm',
  damping: 8,
  blockSeconds: 10,
  blocks: 12,
  horizonSeconds: 20,
  strideSeconds: 10,
  ...KERAS_RECIPE,
  // The 10 s stride gives 6× InfAdapter's samples: 5 epochs make as many Adam updates as its 30, in
  // ~5 minutes on tfjs's pure-JS backend (30 would take ~35); the training loss levels off after ~3.
  defaultEpochs: 5,
  source: 'reconfigurable-ml-pipeline/ipa prediction-modules/lstm-module/train.py',
  contenders: (file) => [ipaLstm(file), lastValue(), ewma(10), maxOverWindow(20), maxOverWindow(120)],
};

export const PREDICTOR_TASKS = [INFADAPTER_TASK, IPA_TASK];

export async function loadTfjs(): Promise<TfModule> {
  const tf = await import('@tensorflow/tfjs');
  // Production mode drops tfjs's debug checks and its banner recommending tfjs-node.
  tf.enableProdMode();
  await tf.setBackend('cpu');
  return tf;
}

/**
 * Per-second counts of a slice of the trace, damped, with every zero second removed: the authors
 * filter `x != 0` over the whole (damped) trace, which cuts the daily missing-data gaps and
 * joins what is on either side.
 */
export function readSeries(tracePath: string, rows: { start: number; duration?: number }, damping: number): Float64Array {
  // maskGaps 1 cuts every run of raw zeros; damping can still make a few seconds 0 (IPA drops those too).
  const spec = { file: tracePath, ...rows, damping, maskGaps: 1 };
  const counts: number[] = [];
  // The rounding stream is drawn from only when a spec scales the counts; these do not.
  for (const count of readTraceCounts(spec, tracePath, new RandomStreams(0).uniform('rounding'))) if (count > 0) counts.push(count);
  return Float64Array.from(counts);
}

/** Sample starts: the history is series[i, i+span), the target the max of the next `horizon` seconds. */
function sampleStarts(length: number, task: PredictorTask): number[] {
  const span = task.blockSeconds * task.blocks;
  const starts: number[] = [];
  for (let i = 0; i + span + task.horizonSeconds <= length; i += task.strideSeconds) starts.push(i);
  return starts;
}

/** Scaled inputs [n × blocks] and targets [n], built with the block maxima the predictors use online. */
export function buildDataset(series: Float64Array, task: PredictorTask, scale: number): { x: Float32Array; y: Float32Array } {
  const span = task.blockSeconds * task.blocks;
  const starts = sampleStarts(series.length, task);
  const x = new Float32Array(starts.length * task.blocks);
  const y = new Float32Array(starts.length);
  starts.forEach((i, n) => {
    x.set(blockMaxima(series.subarray(i, i + span), task.blockSeconds, task.blocks).map((v) => v / scale), n * task.blocks);
    y[n] = maxOfRange(series, i + span, i + span + task.horizonSeconds) / scale;
  });
  return { x, y };
}

export interface Score {
  task: string;
  predictor: string;
  /** Mean absolute percentage error, percent. */
  mape: number;
  /** Share of test points where the prediction, margin included, is below the truth. */
  underPredictionRate: number;
  points: number;
}

/** Scores a predictor on every sample of the series, fed the per-second history as a controller would. */
export function score(predictor: LoadPredictor, series: Float64Array, task: PredictorTask): Score {
  const span = task.blockSeconds * task.blocks;
  let ape = 0;
  let under = 0;
  const starts = sampleStarts(series.length, task);
  for (const i of starts) {
    const truth = maxOfRange(series, i + span, i + span + task.horizonSeconds);
    const predicted = predictor.predict(series.subarray(i, i + span));
    ape += Math.abs(predicted - truth) / truth;
    if (predicted < truth) under++;
  }
  return { task: task.name, predictor: predictor.name, mape: (100 * ape) / starts.length, underPredictionRate: under / starts.length, points: starts.length };
}

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

export interface TrainOptions {
  seed: number;
  /** Overrides every task's default epochs. */
  epochs?: number;
  /** The command line that regenerates the files, recorded in them. */
  command: string;
  tracePath?: string;
  onProgress?: (status: string) => void;
}

export interface TrainedPredictor {
  file: LstmFile;
  scores: Score[];
  trainingSeconds: number;
}

/** Trains and scores every task. */
export async function trainPredictors(options: TrainOptions): Promise<TrainedPredictor[]> {
  const tf = await loadTfjs();
  const tracePath = options.tracePath ?? join(packageRoot, TWITTER_TRACE);
  const trained: TrainedPredictor[] = [];
  for (const task of PREDICTOR_TASKS) trained.push(trainTask(tf, task, tracePath, options));
  return trained;
}

function trainTask(tf: TfModule, task: PredictorTask, tracePath: string, options: TrainOptions): TrainedPredictor {
  const progress = (status: string) => options.onProgress?.(`${task.name}: ${status}`);
  progress('reading the trace');
  const train = readSeries(tracePath, TRAIN_ROWS, task.damping);
  const test = readSeries(tracePath, TEST_ROWS, task.damping);
  // One scale for inputs and targets (both are rates): the training peak, so values lie in [0, 1].
  const scale = train.reduce((a, b) => Math.max(a, b), 0);
  const { x, y } = buildDataset(train, task, scale);
  const epochs = options.epochs ?? task.defaultEpochs;
  const began = performance.now();
  const model = buildLstmModel(tf, { steps: task.blocks, units: task.units }, options.seed);
  // The papers' L1 acts on an MSE in raw requests/s; divided by scale² it keeps its (tiny) weight.
  const l1 = task.l1 / (scale * scale);
  const losses = fitLstm(tf, model, x, y, {
    epochs,
    batchSize: task.batchSize,
    learningRate: task.learningRate,
    l1,
    seed: streamSeed(options.seed, task.name),
    onEpoch: (epoch, loss) => progress(`epoch ${epoch}/${epochs}, loss ${loss.toExponential(3)}`),
  });
  const trainingSeconds = (performance.now() - began) / 1000;
  const weights = exportLstmModel(model);
  model.dispose();

  const file: LstmFile = {
    format: LSTM_FILE_FORMAT,
    predictor: task.name,
    model: weights,
    scale: { input: scale, output: scale },
    window: { blockSeconds: task.blockSeconds, blocks: task.blocks, horizonSeconds: task.horizonSeconds },
    training: {
      command: options.command,
      source: task.source,
      trace: TWITTER_TRACE,
      rows: `[${TRAIN_ROWS.start}, ${TRAIN_ROWS.start + TRAIN_ROWS.duration}): days 0-13`,
      damping: task.damping,
      zeros: 'every zero second removed after damping, as the authors filter(x != 0); windows run across the joins',
      samples: y.length,
      strideSeconds: task.strideSeconds,
      epochs,
      paperEpochs: task.paperEpochs,
      ...(epochs < task.paperEpochs && { epochsNote: `fewer than the paper's ${task.paperEpochs} to keep training to minutes on tfjs's pure-JS CPU backend` }),
      batchSize: task.batchSize,
      optimizer: `adam, learning rate ${task.learningRate} (Keras defaults)`,
      loss: 'MSE on scaled values + L1 on the LSTM input kernel',
      l1Paper: task.l1,
      l1Scaled: l1,
      scaling: 'inputs and targets divided by the peak second of the training series',
      initialisers: 'Glorot uniform kernels, orthogonal recurrent kernel, zero biases with forget-gate bias 1 (Keras defaults), seeded',
      shuffle: 'seeded Fisher-Yates every epoch',
      seed: options.seed,
      epochLosses: losses.map((l) => Number(l.toPrecision(6))),
      library: `@tensorflow/tfjs ${tf.version.tfjs}, cpu backend`,
    },
  };
  progress('scoring on the test days');
  return { file, scores: scoreFile(task, file, test), trainingSeconds };
}

/** Scores a task's predictors on the test series and records the scores in the weight file (`test`). */
function scoreFile(task: PredictorTask, file: LstmFile, test: Float64Array): Score[] {
  const scores = task.contenders(file).map((predictor) => score(predictor, test, task));
  file.test = {
    rows: `[${TEST_ROWS.start}, end): days 15-21.98`,
    damping: task.damping,
    target: `the peak second of the next ${task.horizonSeconds} s, every ${task.strideSeconds} s`,
    scores: scores.map((s) => ({
      predictor: s.predictor,
      mapePercent: Number(s.mape.toFixed(3)),
      underPredictionRate: Number(s.underPredictionRate.toFixed(5)),
      points: s.points,
    })),
  };
  return scores;
}

/** Scores trained weight files again on the test days, without training (their `test` blocks are rewritten). */
export function rescorePredictors(files: LstmFile[], tracePath = join(packageRoot, TWITTER_TRACE)): Score[] {
  return files.flatMap((file) => {
    const task = PREDICTOR_TASKS.find((t) => t.name === file.predictor);
    if (task === undefined) throw new InputError(`${file.predictor}: not a predictor servesim trains (expected ${PREDICTOR_TASKS.map((t) => t.name).join(' or ')})`);
    return scoreFile(task, file, readSeries(tracePath, TEST_ROWS, task.damping));
  });
}

/** Writes `<dir>/<predictor>.json` atomically; number arrays stay on one line each. */
export function writePredictorFile(dir: string, file: LstmFile): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${file.predictor}.json`);
  const text = JSON.stringify(file, null, 2).replace(/\[\s+([-+\d.eE,\s]+?)\s+\]/g, (_, values: string) => `[${values.split(/,\s*/).join(', ')}]`);
  writeFileAtomic(path, text + '\n');
  return path;
}
