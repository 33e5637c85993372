import { InputError } from '../errors.js';
import { loadLstmFile, shippedLstmPath } from '../policies/predictors/lstm.js';
import { rescorePredictors, trainPredictors, writePredictorFile, type Score } from '../experiment/train-predictors.js';
import { parseSeed } from './flags.js';
import { startActivity } from './progress.js';

export interface TrainPredictorsFlags {
  out: string;
  epochs?: string;
  seed: string;
  scoreOnly?: boolean;
  quiet?: boolean;
}

/** `--score-only`: the shipped weights scored again on the test days, written with their new scores. */
function rescoreCommand(flags: TrainPredictorsFlags): void {
  const files = (['infadapter-lstm', 'ipa-lstm'] as const).map((name) => loadLstmFile(shippedLstmPath(name)));
  const scores = rescorePredictors(files);
  const paths = files.map((file) => writePredictorFile(flags.out, file));
  if (!flags.quiet) process.stdout.write(`${scoreTable(scores)}\n\n${paths.join('\n')}\n`);
}

/**
 * `servesim train-predictors`: trains InfAdapter's and IPA's LSTM load predictors on the Twitter
 * trace, writes `<out>/infadapter-lstm.json` and `<out>/ipa-lstm.json`, and prints their test
 * scores next to simple baselines'.
 */
export async function trainPredictorsCommand(flags: TrainPredictorsFlags): Promise<void> {
  if (flags.scoreOnly) return rescoreCommand(flags);
  const seed = parseSeed(flags.seed);
  const epochs = flags.epochs === undefined ? undefined : Number(flags.epochs);
  if (epochs !== undefined && (!Number.isSafeInteger(epochs) || epochs < 1)) {
    throw new InputError(`--epochs: expected a positive integer, got "${flags.epochs}"`);
  }
  const command = `servesim train-predictors --out ${flags.out} --seed ${seed}${epochs === undefined ? '' : ` --epochs ${epochs}`}`;
  const activity = flags.quiet ? null : await startActivity('training');
  const trained = await trainPredictors({ seed, epochs, command, onProgress: activity?.update });
  activity?.stop();
  const paths = trained.map((t) => writePredictorFile(flags.out, t.file));
  if (flags.quiet) return;
  const lines = [scoreTable(trained.flatMap((t) => t.scores)), ''];
  for (const [i, t] of trained.entries()) {
    lines.push(`${paths[i]}: ${String(t.file.training?.epochs)} epochs in ${t.trainingSeconds.toFixed(0)} s`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

/** Test days 15–21.98: one row per predictor, grouped by task. */
export function scoreTable(scores: Score[]): string {
  const header = ['task', 'predictor', 'MAPE', 'under-predicted', 'points'];
  const rows = scores.map((s) => [s.task, s.predictor, `${s.mape.toFixed(1)}%`, `${(100 * s.underPredictionRate).toFixed(1)}%`, String(s.points)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const format = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [format(header), ...rows.map(format)].join('\n');
}
