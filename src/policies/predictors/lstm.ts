import { z } from 'zod';
import { InputError } from '../../errors.js';
import { host } from '../../io/files.js';
import { joinPath } from '../../io/path.js';
import { packageRoot } from '../../paths.js';
import type { LoadPredictor } from './predictor.js';
import { blockMaxima, ewmaOf, maxOfRange } from './simple.js';

/**
 * LSTM load predictors with weights trained by `servesim train-predictors`
 * (src/experiment/train-predictors.ts). The forward pass is plain TypeScript so that policies
 * load no machine-learning library at run time.
 */

export const LSTM_FILE_FORMAT = 'servesim-lstm/1';

const count = z.number().int().positive();
const row = z.array(z.number());

/** One LSTM layer and a Dense(1) head, laid out as Keras and tfjs store them. */
const modelSchema = z.strictObject({
  units: count,
  steps: count.describe('time steps of one input sequence'),
  features: count.describe('values per time step'),
  // Keras' LSTM(activation="relu") uses ReLU for the candidate and for the cell output; gates
  // keep Keras' default sigmoid (tfjs's default is hardSigmoid, so the trainer sets it).
  activation: z.literal('relu'),
  recurrentActivation: z.literal('sigmoid'),
  gateOrder: z.literal('i,f,c,o'),
  kernel: z.array(row).describe('[features][4·units]'),
  recurrentKernel: z.array(row).describe('[units][4·units]'),
  bias: row.describe('[4·units]'),
  denseKernel: row.describe('[units]'),
  denseBias: z.number(),
});

export const lstmFileSchema = z
  .object({
    format: z.literal(LSTM_FILE_FORMAT),
    predictor: z.string(),
    model: modelSchema,
    /** Inputs are divided by `input` before the network; its output is multiplied by `output`. */
    scale: z.strictObject({ input: z.number().positive(), output: z.number().positive() }),
    /** The network reads the maxima of `blocks` blocks of `blockSeconds` and predicts the max of the next `horizonSeconds`. */
    window: z.strictObject({ blockSeconds: count, blocks: count, horizonSeconds: count }),
    training: z.record(z.string(), z.unknown()).optional(),
    test: z.unknown().optional(),
  })
  .superRefine((file, ctx) => {
    const { units, features, steps } = file.model;
    const expect = (ok: boolean, path: (string | number)[], message: string) => {
      if (!ok) ctx.addIssue({ code: 'custom', path: ['model', ...path], message });
    };
    const matrix = (rows: number[][], n: number, name: string) => {
      expect(rows.length === n, [name], `expected ${n} rows, got ${rows.length}`);
      rows.forEach((r, i) => expect(r.length === 4 * units, [name, i], `expected ${4 * units} values, got ${r.length}`));
    };
    matrix(file.model.kernel, features, 'kernel');
    matrix(file.model.recurrentKernel, units, 'recurrentKernel');
    expect(file.model.bias.length === 4 * units, ['bias'], `expected ${4 * units} values, got ${file.model.bias.length}`);
    expect(file.model.denseKernel.length === units, ['denseKernel'], `expected ${units} values, got ${file.model.denseKernel.length}`);
    expect(features === 1 && steps === file.window.blocks, ['steps'], `expected one feature per step and ${file.window.blocks} steps (window.blocks)`);
  });

export type LstmFile = z.infer<typeof lstmFileSchema>;
export type LstmModel = LstmFile['model'];

/** Validates a parsed weights file; problems are InputErrors naming `source` and the field. */
export function parseLstmFile(raw: unknown, source: string): LstmFile {
  const result = lstmFileSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.map(String).join('.');
  throw new InputError(`${source}: ${path === '' ? '(top level)' : path}: ${issue.message}`);
}

export function loadLstmFile(path: string): LstmFile {
  let text: string;
  try {
    text = host().readText(path);
  } catch (error) {
    throw new InputError(`${path}: cannot read predictor weights (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${path}: invalid JSON: ${(error as Error).message}`);
  }
  return parseLstmFile(raw, path);
}

/** The weights shipped with servesim (written by `servesim train-predictors`). */
export function shippedLstmPath(name: 'infadapter-lstm' | 'ipa-lstm'): string {
  return joinPath(packageRoot, 'profiles/predictors', `${name}.json`);
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const relu = (x: number) => (x > 0 ? x : 0);

/** The forward pass of one LSTM layer (zero initial state) and its Dense(1) head. */
export class LstmNetwork {
  readonly steps: number;
  private readonly units: number;
  private readonly features: number;
  private readonly kernel: Float64Array;
  private readonly recurrent: Float64Array;
  private readonly bias: Float64Array;
  private readonly dense: Float64Array;
  private readonly denseBias: number;
  private readonly h: Float64Array;
  private readonly c: Float64Array;
  private readonly z: Float64Array;

  constructor(model: LstmModel) {
    this.units = model.units;
    this.steps = model.steps;
    this.features = model.features;
    this.kernel = Float64Array.from(model.kernel.flat());
    this.recurrent = Float64Array.from(model.recurrentKernel.flat());
    this.bias = Float64Array.from(model.bias);
    this.dense = Float64Array.from(model.denseKernel);
    this.denseBias = model.denseBias;
    this.h = new Float64Array(this.units);
    this.c = new Float64Array(this.units);
    this.z = new Float64Array(4 * this.units);
  }

  /** The output for one sequence of `steps × features` values, time-major, already scaled. */
  run(sequence: ArrayLike<number>): number {
    const { units, features, kernel, recurrent, h, c, z } = this;
    const gates = 4 * units;
    if (sequence.length !== this.steps * features) throw new Error(`LSTM: expected ${this.steps * features} inputs, got ${sequence.length}`);
    h.fill(0);
    c.fill(0);
    for (let t = 0; t < this.steps; t++) {
      // z = x·kernel + h·recurrent + bias, gates side by side in Keras order i, f, c, o.
      z.set(this.bias);
      for (let f = 0; f < features; f++) {
        const x = sequence[t * features + f];
        for (let g = 0, k = f * gates; g < gates; g++) z[g] += x * kernel[k + g];
      }
      for (let j = 0; j < units; j++) {
        const hj = h[j];
        if (hj === 0) continue;
        for (let g = 0, k = j * gates; g < gates; g++) z[g] += hj * recurrent[k + g];
      }
      for (let u = 0; u < units; u++) {
        const input = sigmoid(z[u]);
        const forget = sigmoid(z[units + u]);
        const candidate = relu(z[2 * units + u]);
        const output = sigmoid(z[3 * units + u]);
        c[u] = forget * c[u] + input * candidate;
        h[u] = output * relu(c[u]);
      }
    }
    let y = this.denseBias;
    for (let u = 0; u < units; u++) y += this.dense[u] * h[u];
    return y;
  }
}

/**
 * A predictor that feeds the network the maxima of the last `blocks` blocks of the history and
 * returns its (non-negative) output, truncated to a whole rate when `whole`, × (1 + margin); with
 * less history than the network reads it answers with `fallback`.
 */
function windowedLstm(name: string, file: LstmFile, blockSeconds: number, blocks: number, margin: number, fallback: LoadPredictor, whole = false): LoadPredictor {
  if (file.window.blockSeconds !== blockSeconds || file.window.blocks !== blocks) {
    throw new InputError(
      `${name}: the weights read ${file.window.blocks} blocks of ${file.window.blockSeconds} s (predictor "${file.predictor}"), expected ${blocks} of ${blockSeconds} s`,
    );
  }
  const network = new LstmNetwork(file.model);
  const span = blockSeconds * blocks;
  return {
    name,
    predict(history) {
      if (history.length < span) return fallback.predict(history);
      const input = blockMaxima(history, blockSeconds, blocks).map((x) => x / file.scale.input);
      // The Dense head can go below 0 on a falling load; a negative rate means nothing.
      const rate = Math.max(0, network.run(input) * file.scale.output);
      return (whole ? Math.trunc(rate) : rate) * (1 + margin);
    },
  };
}

/** InfAdapter's online settings: a 10% margin (LSTM_/EMW_PREDICTION_ERROR_PERCENTAGE) and EWMA span 10. */
const INFADAPTER = { margin: 0.1, ewmaSpan: 10 };
/** IPA's: `predictor_margin: 0` in its experiment configs, and a backup "max" over 2 minutes. */
const IPA = { margin: 0, backupSeconds: 120 };

const marginName = (base: string, margin: number, usual: number) => (margin === usual ? base : `${base} (margin ${+(100 * margin).toFixed(2)}%)`);

/**
 * InfAdapter: the maxima of the last 10 minutes (one per minute) → the peak second of the next
 * minute, truncated to a whole rate (`int(next_m)`), × 1.10. Sources
 * (reconfigurable-ml-pipeline/InfAdapter): `forecasters/lstm_forecaster.py` (10 one-minute maxima
 * in, next-minute max out), `adapter/main.py` (`predict`; with fewer than 10 minutes, pandas
 * `ewm(span=10)` of the minute maxima, not truncated), LSTM_ and EMW_PREDICTION_ERROR_PERCENTAGE =
 * 10 in the experiment starters. The adapter truncates the result once more (InfAdapter does).
 */
export function infadapterLstm(file: LstmFile, options: { margin?: number } = {}): LoadPredictor {
  const margin = options.margin ?? INFADAPTER.margin;
  return windowedLstm(marginName('infadapter-lstm', margin, INFADAPTER.margin), file, 60, 10, margin, infadapterEwma(options), true);
}

/** InfAdapter's fallback: pandas ewm(span=10) of the one-minute maxima seen so far, × 1.10. */
export function infadapterEwma(options: { margin?: number } = {}): LoadPredictor {
  const margin = options.margin ?? INFADAPTER.margin;
  return {
    name: marginName('infadapter-ewma', margin, INFADAPTER.margin),
    predict: (history) => (history.length === 0 ? 0 : ewmaOf(blockMaxima(history, 60), INFADAPTER.ewmaSpan) * (1 + margin)),
  };
}

/**
 * IPA: the maxima of the last 120 s in 10 s blocks → the peak second of the next 20 s, with
 * `predictor_margin: 0`; with less than 120 s of history, IPA's backup "max" predictor (the peak of
 * what was seen, backup_predictor_duration 2 minutes). Sources (reconfigurable-ml-pipeline/ipa):
 * `prediction-modules/lstm-module/train.py`, `optimizer/adapter.py` (class Predictor, which also
 * rounds to an integer; this predictor does not).
 */
export function ipaLstm(file: LstmFile, options: { margin?: number } = {}): LoadPredictor {
  const margin = options.margin ?? IPA.margin;
  return windowedLstm(marginName('ipa-lstm', margin, IPA.margin), file, 10, 12, margin, ipaBackup(margin));
}

/** IPA's backup "max": the peak second of the last 2 minutes. */
function ipaBackup(margin: number): LoadPredictor {
  return { name: `max-${IPA.backupSeconds}s`, predict: (h) => maxOfRange(h, Math.max(0, h.length - IPA.backupSeconds), h.length) * (1 + margin) };
}

/**
 * IPA's "reactive" predictor (optimizer/adapter.py: `lambda l: l[-1]` over the 10 s maxima): the
 * peak second of the last 10 s, with the same backup below 2 minutes of history. The ablation of
 * the paper's Fig. 16 sets it against the LSTM.
 */
export function ipaReactive(options: { margin?: number } = {}): LoadPredictor {
  const margin = options.margin ?? IPA.margin;
  const backup = ipaBackup(margin);
  return {
    name: marginName('ipa-reactive', margin, IPA.margin),
    predict: (h) => (h.length < IPA.backupSeconds ? backup.predict(h) : maxOfRange(h, h.length - 10, h.length) * (1 + margin)),
  };
}
