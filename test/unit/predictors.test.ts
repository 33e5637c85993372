import { rmSync } from 'node:fs';
import type * as Tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTfjs } from '../../src/approx/models/mlp.js';
import { RandomStreams } from '../../src/engine/random.js';
import { InputError } from '../../src/errors.js';
import { augmentedBatch, buildLstmModel, exportLstmModel, fitLstm, lstmGraph } from '../../src/experiment/lstm-training.js';
import { INFADAPTER_TASK, IPA_TASK, readSeries, score, writePredictorFile } from '../../src/experiment/train-predictors.js';
import {
  infadapterEwma,
  infadapterLstm,
  ipaLstm,
  loadLstmFile,
  LSTM_FILE_FORMAT,
  LstmNetwork,
  parseLstmFile,
  shippedLstmPath,
  type LstmFile,
} from '../../src/policies/predictors/lstm.js';
import { blockMaxima, ewma, ewmaOf, lastValue, maxOverWindow } from '../../src/policies/predictors/simple.js';
import { tempDir } from '../helpers/temp.js';

const twitter = 'traces/twitter_2021_08/twitter_per_second.csv';

describe('simple predictors', () => {
  it('last value, EWMA (pandas ewm(span), adjust=True) and windowed max', () => {
    expect(lastValue().predict([3, 5, 2])).toBe(2);
    expect(lastValue().predict([])).toBe(0);
    // span 3: alpha 0.5; weights 1, 0.5, 0.25 from the newest: (3 + 1 + 0.25) / 1.75.
    expect(ewma(3).predict([1, 2, 3])).toBeCloseTo(2.4285714, 6);
    expect(ewmaOf([7], 10)).toBe(7);
    expect(ewma(10).predict([])).toBe(0);
    expect(maxOverWindow(2).predict([5, 1, 3])).toBe(3);
    expect(maxOverWindow(10).predict([5, 1, 3])).toBe(5);
    expect(maxOverWindow(10).predict([])).toBe(0);
  });

  it('rejects impossible parameters as input errors', () => {
    expect(() => ewma(0.5)).toThrow(InputError);
    expect(() => maxOverWindow(0)).toThrow(InputError);
    expect(() => maxOverWindow(1.5)).toThrow(InputError);
  });

  it('block maxima end at the newest second; the oldest block holds the remainder', () => {
    const history = [1, 2, 3, 4, 5, 6, 7];
    expect(blockMaxima(history, 3)).toEqual([1, 4, 7]);
    expect(blockMaxima(history, 3, 2)).toEqual([4, 7]);
    expect(blockMaxima(history.slice(1), 3)).toEqual([4, 7]);
    expect(blockMaxima([], 3)).toEqual([]);
  });

  it("InfAdapter's fallback: EWMA(span 10) of the minute maxima × 1.10", () => {
    const history = [...Array(30).fill(10), ...Array(60).fill(20), ...Array(60).fill(40)];
    // Maxima 10, 20, 40; keep 9/11: (40 + 20·9/11 + 10·81/121) / (1 + 9/11 + 81/121) × 1.1.
    expect(infadapterEwma().predict(history)).toBeCloseTo(27.8837209, 5);
    expect(infadapterEwma({ margin: 0 }).predict([5])).toBe(5);
  });
});

describe('LSTM predictors', () => {
  let tf: typeof Tf;
  beforeAll(async () => {
    tf = await loadTfjs();
  });

  /** A small model with every weight drawn at random, biases included, so every term of the cell counts. */
  function randomModel(steps: number, units: number, seed: number): Tf.Sequential {
    const model = buildLstmModel(tf, { steps, units }, seed);
    for (const layer of model.layers) {
      layer.setWeights(layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.6, 'float32', seed * 10 + i)));
    }
    return model;
  }

  const fileOf = (model: Tf.LayersModel, window: LstmFile['window'], scale = 1): LstmFile => ({
    format: LSTM_FILE_FORMAT,
    predictor: 'test',
    model: exportLstmModel(model),
    scale: { input: scale, output: scale },
    window,
  });

  it("the plain-TypeScript forward pass equals tfjs's model.predict, and so does the training graph", () => {
    const steps = 6;
    const model = randomModel(steps, 5, 3);
    const network = new LstmNetwork(exportLstmModel(model));
    const x = new Float32Array(4 * steps).map((_, i) => Math.abs(Math.sin(1.7 * i)) * 2);
    const expected = Array.from((model.predict(tf.tensor3d(x, [4, steps, 1])) as Tf.Tensor).dataSync());
    const graph = Array.from(tf.tidy(() => lstmGraph(tf, model, augmentedBatch(tf, x, steps, [0, 1, 2, 3]))).dataSync());
    expect(new Set(expected.map((v) => v.toFixed(3))).size).toBeGreaterThan(1);
    for (let n = 0; n < 4; n++) {
      expect(Math.abs(network.run(x.subarray(n * steps, (n + 1) * steps)) - expected[n])).toBeLessThan(1e-5);
      expect(Math.abs(graph[n] - expected[n])).toBeLessThan(1e-5);
    }
  });

  it('a weights file round-trips through the writer and the loader; a broken one is an input error', () => {
    const file = fileOf(randomModel(10, 4, 5), { blockSeconds: 60, blocks: 10, horizonSeconds: 60 }, 100);
    const dir = tempDir('servesim-predictors-');
    try {
      const loaded = loadLstmFile(writePredictorFile(dir, file));
      expect(loaded).toEqual(file);
      const history = Array.from({ length: 600 }, (_, i) => 50 + 30 * Math.sin(i / 40));
      expect(infadapterLstm(loaded).predict(history)).toBeCloseTo(infadapterLstm(file).predict(history), 9);
    } finally {
      rmSync(dir, { recursive: true });
    }
    const broken = { ...file, model: { ...file.model, bias: file.model.bias.slice(1) } };
    expect(() => parseLstmFile(broken, 'x.json')).toThrow(/x\.json: model\.bias: expected 16 values/);
    expect(() => ipaLstm(file)).toThrow(InputError);
  });

  it('the predictors scale, apply their margin, and fall back with short histories', () => {
    const file = fileOf(randomModel(10, 4, 6), { blockSeconds: 60, blocks: 10, horizonSeconds: 60 }, 100);
    const history = Array.from({ length: 700 }, (_, i) => 60 + (i % 90));
    const network = new LstmNetwork(file.model);
    const raw = Math.max(0, 100 * network.run(blockMaxima(history, 60, 10).map((v) => v / 100)));
    expect(infadapterLstm(file, { margin: 0 }).predict(history)).toBeCloseTo(raw, 9);
    expect(infadapterLstm(file).predict(history)).toBeCloseTo(1.1 * raw, 9);
    const short = history.slice(0, 599);
    expect(infadapterLstm(file).predict(short)).toBe(infadapterEwma().predict(short));
    const ipa = fileOf(randomModel(12, 4, 7), { blockSeconds: 10, blocks: 12, horizonSeconds: 20 });
    expect(ipaLstm(ipa).predict([3, 9, 4])).toBe(9);
  });

  it('training is reproducible: the same seed gives the same weights', () => {
    const steps = 5;
    const n = 96;
    const u = new RandomStreams(11).uniform('series');
    const series = Array.from({ length: n + steps }, (_, i) => 0.5 + 0.3 * Math.sin(i / 4) + 0.1 * u());
    const x = new Float32Array(n * steps).map((_, k) => series[Math.floor(k / steps) + (k % steps)]);
    const y = Float32Array.from({ length: n }, (_, i) => series[i + steps]);
    const train = (seed: number) => {
      const model = buildLstmModel(tf, { steps, units: 6 }, seed);
      const losses = fitLstm(tf, model, x, y, { epochs: 3, batchSize: 16, learningRate: 0.01, l1: 1e-5, seed });
      const weights = exportLstmModel(model);
      model.dispose();
      return { losses, weights };
    };
    const first = train(4);
    expect(train(4)).toEqual(first);
    expect(train(5).weights).not.toEqual(first.weights);
    expect(first.losses[2]).toBeLessThan(first.losses[0]);
  });
});

describe('shipped LSTM weights (profiles/predictors)', () => {
  // InfAdapter's evaluation window (traces/README.md), with 10 minutes of history before it.
  const start = 1_300_920 - 600;
  const duration = 600 + 1260;

  it.each([
    ['infadapter-lstm', INFADAPTER_TASK, infadapterLstm],
    ['ipa-lstm', IPA_TASK, ipaLstm],
  ] as const)('%s loads and predicts finite, positive rates on the trace', (name, task, make) => {
    const file = loadLstmFile(shippedLstmPath(name));
    expect(file.predictor).toBe(name);
    const predictor = make(file);
    const series = readSeries(twitter, { start, duration }, task.damping);
    const predictions = Array.from({ length: 40 }, (_, k) => predictor.predict(series.subarray(0, 600 + 30 * k)));
    for (const p of predictions) {
      expect(Number.isFinite(p)).toBe(true);
      expect(p).toBeGreaterThan(0);
    }
    // Not a benchmark, a sanity bound: within 40% of the peaks on average.
    expect(score(predictor, series, task).mape).toBeLessThan(40);
  });
});
