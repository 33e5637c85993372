import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadTfjs } from '../approx/models/mlp.js';
import { RandomStreams, streamSeed } from '../engine/random.js';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { packageRoot } from '../paths.js';
import { infadapterEwma, infadapterLstm, ipaLstm, LSTM_FILE_FORMAT, type LstmFile } from '../policies/predictors/lstm.js';
import type { LoadPredictor } from '../policies/predictors/predictor.js';
import { blockMaxima, ewma, lastValue, maxOfRange, maxOverWindow } from '../policies/predictors/simple.js';
import { readTraceCounts } from '../workload/trace.js';
import { buildLstmModel, exportLstmModel, fitLstm, type TfModule } from './lstm-training.js';

/**
 * Trains InfAdapter's and IPA's LSTM load predictors on the Twitter trace with @tensorflow/tfjs
 * (a dev dependency, loaded only here and only when training) and scores them and simple
 * baselines on held-out days. Deterministic: seeded initialisers, a seeded shuffle, fixed epochs.
 */

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
  /** The paper's epochs, the default (--epochs overrides it). */
  paperEpochs: number;
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
  // The paper's 30 epochs take about 35 minutes of one core on tfjs's pure-JS backend (the 10 s
  // stride gives 6× InfAdapter's samples); 5 reach a loss 18% higher and a test MAPE of 9.2% against 7.9%.
  ...KERAS_RECIPE,
  source: 'reconfigurable-ml-pipeline/ipa prediction-modules/lstm-module/train.py',
  contenders: (file) => [ipaLstm(file), lastValue(), ewma(10), maxOverWindow(20), maxOverWindow(120)],
};

export const PREDICTOR_TASKS = [INFADAPTER_TASK, IPA_TASK];

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
  const epochs = options.epochs ?? task.paperEpochs;
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
      ...(epochs < task.paperEpochs && { epochsNote: `fewer than the paper's ${task.paperEpochs} (--epochs)` }),
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
