import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import type * as Tf from '@tensorflow/tfjs';
import {
  compileForest,
  compileMlp,
  fitLibraryForest,
  fitMlpNetwork,
  loadTfjs,
  trainForest,
  trainLinear,
  trainMlp,
  type LibraryForest,
  type Model,
} from '../../src/approx/models/index.js';
import { RandomStreams } from '../../src/engine/random.js';
import { InputError } from '../../src/errors.js';

const require = createRequire(import.meta.url);

/** rows × inputs uniform features in [0, scale) from a named stream. */
function features(seed: number, rows: number, inputs: number, scale = 1): number[][] {
  const u = new RandomStreams(seed).uniform('features');
  return Array.from({ length: rows }, () => Array.from({ length: inputs }, () => u() * scale));
}

const target = (x: number[]) => 3 * x[0] - 2 * x[1] + Math.sin(4 * x[2]) + x[0] * x[3];
const label = (x: number[]) => (x[0] + x[1] > 1.2 ? 2 : x[2] > 0.5 ? 1 : 0);

function predictAll(model: Model, X: number[][]): number[] {
  const out = new Float64Array(X.length);
  model.predict(Float64Array.from(X.flat()), X.length, out);
  return Array.from(out);
}

/** Milliseconds per call of f: the best of five 20 ms windows (the machine may be busy). */
function timeIt(f: () => void): number {
  f();
  let best = Infinity;
  for (let window = 0; window < 5; window++) {
    let calls = 0;
    const start = performance.now();
    while (performance.now() - start < 20) f(), calls++;
    best = Math.min(best, (performance.now() - start) / calls);
  }
  return best;
}

describe('linear model', () => {
  it('predicts exactly what ml-regression-multivariate-linear predicts and recovers the coefficients', () => {
    const X = features(1, 200, 4);
    const y = X.map((x) => 1.5 + 2 * x[0] - x[1] + 0.5 * x[3]);
    const model = trainLinear(X, y);
    expect(model).toMatchObject({ kind: 'linear', task: 'regression', inputs: 4, classes: 0 });
    const MLR = require('ml-regression-multivariate-linear');
    const library = new MLR(X, y.map((v) => [v]), { statistics: false });
    const test = features(2, 300, 4, 2);
    expect(predictAll(model, test)).toEqual(library.predict(test).map((p: number[]) => p[0]));
    expect(predictAll(model, [[0, 0, 0, 0], [1, 1, 1, 1]])).toEqual([expect.closeTo(1.5, 9), expect.closeTo(3, 9)]);
  });
});

describe('compiled random forest', () => {
  // Integer features, so split values are half-integers; test rows on the half-integer grid fall
  // exactly on thresholds and check the `<` (left) versus `>=` (right) rule.
  const grid = (seed: number, rows: number) => features(seed, rows, 6, 10).map((x) => x.map((v) => Math.floor(v)));
  const train = grid(3, 300);
  // Also rows with NaN and infinities, which ml-cart sends right (`NaN < t` is false).
  const odd = [NaN, Infinity, -Infinity].map((v, i) => train[i].map((w, c) => (c % 2 === i % 2 ? v : w)));
  const test = [...features(4, 300, 6, 10).map((x) => x.map((v) => Math.floor(v * 2) / 2)), ...train.slice(0, 50), ...odd];
  const testX = Float64Array.from(test.flat());

  function compare(task: 'regression' | 'classification', y: number[]) {
    // 10 trees: an even count, so classification votes tie and exercise the library's tie rule.
    const forest = fitLibraryForest(train, y, { task, trees: 10, maxDepth: 6, seed: 11 });
    const model = compileForest(forest, 6, task === 'classification' ? 3 : 0);
    const expected = forest.predict(test);
    expect(predictAll(model, test)).toEqual(expected);
    // A batch whose length is not a multiple of 4 (rows descend four at a time), after a larger one.
    expect(predictAll(model, test.slice(0, 7))).toEqual(expected.slice(0, 7));
    const out = new Float64Array(test.length);
    const compiled = timeIt(() => model.predict(testX, test.length, out));
    const library = timeIt(() => forest.predict(test));
    console.log(`${task} forest, ${test.length} rows: compiled ${((compiled / test.length) * 1e6).toFixed(0)} ns/row, library ${((library / test.length) * 1e6).toFixed(0)} ns/row`);
    return expected;
  }

  it('predicts exactly what the library predicts (regression: mean of the trees)', () => {
    compare('regression', train.map((x) => target(x.map((v) => v / 10))));
  });

  it('predicts exactly what the library predicts (classification: majority vote, its tie rule)', () => {
    const y = train.map((x) => label(x.map((v) => v / 10)));
    const predicted = compare('classification', y);
    expect(new Set(predicted).size).toBe(3);
    // The test rows include tied votes where the library's winner (the first class to reach the
    // top count) is not the smallest tied class, so the tie rule is really checked.
    const forest = fitLibraryForest(train, y, { task: 'classification', trees: 10, maxDepth: 6, seed: 11 }) as LibraryForest & { predictionValues(x: number[][]): { getRow(r: number): number[] } };
    const trees = forest.predictionValues(test);
    const ties = test.filter((_, r) => {
      const votes = [0, 0, 0];
      for (const c of trees.getRow(r)) votes[c]++;
      const tied = votes.flatMap((n, c) => (n === Math.max(...votes) ? [c] : []));
      return tied.length > 1 && predicted[r] !== tied[0];
    });
    expect(ties.length).toBeGreaterThan(0);
  });

  it('is deterministic for a seed and validates its options', () => {
    const y = train.map((x) => target(x.map((v) => v / 10)));
    const options = { task: 'regression' as const, trees: 4, maxDepth: 4, seed: 5 };
    const a = predictAll(trainForest(train, y, options), test);
    expect(predictAll(trainForest(train, y, options), test)).toEqual(a);
    expect(predictAll(trainForest(train, y, { ...options, seed: 6 }), test)).not.toEqual(a);
    // Label 4 appears once: classes counts the labels seen in training, whatever the leaves predict.
    const small = train.slice(0, 40);
    const classes = trainForest(small, small.map((_, i) => (i === 0 ? 4 : 0)), { ...options, task: 'classification' });
    expect(classes.classes).toBe(5);
    expect(() => trainForest(train, y, { ...options, trees: 0 })).toThrow(InputError);
    expect(() => trainForest(train, y, { ...options, maxFeatures: 7 })).toThrow(InputError);
    expect(() => trainForest(train, y, { ...options, task: 'classification' })).toThrow(/class labels must be integers/);
  });
});

describe('compiled MLP', () => {
  const X = features(7, 300, 5).map((x) => x.map((v, i) => v * 10 ** i)); // unequal scales: standardisation matters
  const unscaled = (x: number[]) => x.map((v, i) => v / 10 ** i);
  const test = features(8, 200, 5).map((x) => x.map((v, i) => v * 10 ** i));
  const testX = Float64Array.from(test.flat());

  async function tfjsOutputs(tf: typeof Tf, fitted: Awaited<ReturnType<typeof fitMlpNetwork>>): Promise<number[][]> {
    const standardised = test.map((x) => x.map((v, c) => (v - fitted.mean[c]) / fitted.std[c]));
    const input = tf.tensor2d(standardised);
    const output = fitted.network.predict(input) as Tf.Tensor2D;
    const values = output.arraySync();
    input.dispose();
    output.dispose();
    return values;
  }

  it('classification: the plain forward pass matches tfjs (probabilities to 1e-5, classes equal)', async () => {
    const tf = await loadTfjs();
    const tensors = tf.memory().numTensors;
    const y = X.map((x) => label(unscaled(x)));
    const fitted = await fitMlpNetwork(X, y, { task: 'classification', hidden: [16, 8], epochs: 60, learningRate: 0.01, seed: 3 });
    const model = compileMlp(fitted);
    expect(model).toMatchObject({ kind: 'mlp', task: 'classification', inputs: 5, classes: 3, outputs: 3 });
    const expected = await tfjsOutputs(tf, fitted);
    const probabilities = new Float64Array(test.length * 3);
    model.forward(testX, test.length, probabilities);
    let worst = 0;
    expected.forEach((row, r) => row.forEach((p, c) => (worst = Math.max(worst, Math.abs(p - probabilities[r * 3 + c])))));
    expect(worst).toBeLessThan(1e-5);
    const classes = predictAll(model, test);
    expect(classes).toEqual(expected.map((row) => row.indexOf(Math.max(...row))));
    // It learned something: most test rows classified right.
    const right = classes.filter((c, r) => c === label(unscaled(test[r]))).length;
    expect(right / test.length).toBeGreaterThan(0.85);
    fitted.network.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('regression: the plain forward pass matches tfjs to 1e-5 and fits the target', async () => {
    const tf = await loadTfjs();
    const y = X.map((x) => 100 + 10 * target(unscaled(x)));
    const fitted = await fitMlpNetwork(X, y, { task: 'regression', hidden: [16], epochs: 80, learningRate: 0.01, seed: 3 });
    const model = compileMlp(fitted);
    const expected = (await tfjsOutputs(tf, fitted)).map((row) => fitted.targetMean + fitted.targetStd * row[0]);
    const predicted = predictAll(model, test);
    predicted.forEach((p, r) => expect(Math.abs(p - expected[r])).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected[r]))));
    const forward = new Float64Array(test.length);
    model.forward(testX, test.length, forward);
    expect(Array.from(forward)).toEqual(predicted);
    const rmse = Math.sqrt(predicted.reduce((s, p, r) => s + (p - (100 + 10 * target(unscaled(test[r])))) ** 2, 0) / test.length);
    expect(rmse).toBeLessThan(0.25 * fitted.targetStd);
    fitted.network.dispose();
  });

  it('trains identical weights for a seed, different ones for another, and validates its options', async () => {
    const y = X.map((x) => label(unscaled(x)));
    const options = { task: 'classification' as const, classes: 4, hidden: [8], epochs: 5, seed: 9 };
    const a = await trainMlp(X, y, options);
    const b = await trainMlp(X, y, options);
    const c = await trainMlp(X, y, { ...options, seed: 10 });
    expect(a.classes).toBe(4);
    expect(b.layers).toEqual(a.layers);
    expect(c.layers[0].weights).not.toEqual(a.layers[0].weights);
    await expect(trainMlp(X, y, { ...options, classes: 2 })).rejects.toThrow(InputError);
    await expect(trainMlp(X, y, { ...options, hidden: [0] })).rejects.toThrow(InputError);
  });

  it('predicts batches of any size (its scratch is one row wide)', async () => {
    const model = await trainMlp(X, X.map((x) => x[0]), { task: 'regression', hidden: [4], epochs: 2, seed: 1 });
    const big = features(9, 5000, 5);
    const out = new Float64Array(big.length);
    model.predict(Float64Array.from(big.flat()), big.length, out);
    expect(out.every(Number.isFinite)).toBe(true);
  });
});

describe('input validation', () => {
  it('rejects ragged rows, non-finite values and mismatched lengths with one-line InputErrors', () => {
    expect(() => trainLinear([[1, 2], [3]], [1, 2])).toThrow(/row 1 of X has 1 features, row 0 has 2/);
    expect(() => trainLinear([[1, NaN]], [1])).toThrow(/X\[0\]\[1\] is NaN/);
    expect(() => trainLinear([[1], [2]], [1, Infinity])).toThrow(InputError);
    expect(() => trainLinear([[1], [2]], [1])).toThrow(/y has 1 values for 2 rows/);
    expect(() => trainLinear([], [])).toThrow(InputError);
  });
});
