import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { csvLines } from '../io/csv-write.js';
import { writeResultFolder, type FolderLayout } from '../io/result-folder.js';
import { mean, median } from 'simple-statistics';
import { calibrateInfAdapter, compareWithTable, profilePoints, relativeError, type CapacityComparison, type CvChoice } from '../experiment/calibrate.js';
import { packageRoot } from '../paths.js';
import { NAMED_PROFILES } from '../profiles/registry.js';
import { formatProfileCsv } from '../profiles/table-model.js';
import { capacityChart } from '../report/capacity-chart.js';
import { renderChart } from '../report/render.js';
import { parseSeed } from './flags.js';
import { startProgress } from './progress.js';

export interface CalibrateFlags {
  out: string;
  seed: string;
  variants?: string;
  cores?: string;
  writeProfile?: string;
  quiet?: boolean;
}

const HEADER = ['variant', 'cores', 'slo_ms', 'measured_rps', 'simulated_rps', 'error_pct', 'used_for_calibration'];
const VARIANTS = ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'];

function comparisonRow(c: CapacityComparison): (string | number)[] {
  const error = relativeError(c);
  return [c.variant, c.cores, c.sloMs, c.measuredRps, c.predictedRps, error === null ? '' : (100 * error).toFixed(2), String(c.usedForCalibration)];
}

function parseList(flag: string, text: string | undefined, check: (item: string) => boolean, expected: string): string[] | undefined {
  if (text === undefined) return undefined;
  const items = text.split(',').map((s) => s.trim());
  const bad = items.find((item) => !check(item));
  if (bad !== undefined) throw new InputError(`${flag}: expected ${expected}, got "${bad}"`);
  return items;
}

/**
 * `servesim calibrate infadapter`: fits each (variant, cores) pod's service times to InfAdapter's
 * saturation throughput and 750 ms capacity, writes the profile, then asks `servesim capacity`'s
 * own code of that profile for every cell of the table and compares.
 */
export async function calibrateCommand(target: string, flags: CalibrateFlags): Promise<void> {
  if (target !== 'infadapter') throw new InputError(`calibrate: expected "infadapter", got "${target}"`);
  const seed = parseSeed(flags.seed);
  const variants = parseList('--variants', flags.variants, (v) => VARIANTS.includes(v), `a comma-separated list of ${VARIANTS.join(', ')}`);
  const cores = parseList('--cores', flags.cores, (c) => /^([1-9]|1[0-9]|20)$/.test(c), 'a comma-separated list of core counts 1–20')?.map(Number);
  const table = join(packageRoot, 'profiles/infadapter/capacity_result_Feb_21.csv');
  const writeProfile = flags.writeProfile === undefined ? undefined : resolve(flags.writeProfile);
  const { comparison, cvs } = await writeResultFolder(flags.out, CALIBRATION_FOLDER, async (dir) => {
    const fitting = flags.quiet ? null : await startProgress('fitting');
    const { pods, cvs } = await calibrateInfAdapter(table, { seed, variants, cores, onProgress: fitting?.update });
    fitting?.stop();
    // The comparison reads the profile from the folder; one meant for elsewhere (--write-profile) is written there once all else is.
    const profile = formatProfileCsv(profilePoints(pods));
    const stagedProfile = join(dir, PROFILE_FILE);
    writeFileAtomic(stagedProfile, profile);
    writeFileAtomic(join(dir, 'infadapter_cv.csv'), csvLines([['variant', 'cv', 'informative_cells', 'pooled'], ...cvs.map((c) => [c.variant, c.cv, c.informativeCells, String(c.pooled)])]));
    const comparing = flags.quiet ? null : await startProgress('comparing');
    const comparison = await compareWithTable(table, stagedProfile, { seed, variants, cores, onProgress: comparing?.update });
    comparing?.stop();
    await renderChart(
      capacityChart(comparison, 'ResNet pod capacity: InfAdapter measurements (points) and servesim capacity (lines); fitted to saturation and 750 ms'),
      join(dir, 'infadapter_capacity'),
    );
    writeFileAtomic(join(dir, CALIBRATION_FOLDER.marker), csvLines([HEADER, ...comparison.map(comparisonRow)]));
    if (writeProfile !== undefined) {
      writeFileAtomic(writeProfile, profile);
      rmSync(stagedProfile);
    }
    return { comparison, cvs };
  });
  if (!flags.quiet) process.stdout.write(`${summarize(comparison, cvs, flags.out)}`);
}

const PROFILE_FILE = 'infadapter_calibrated_service_times.csv';

/** A calibration's folder: the comparison (its marker), the cvs, the plot and, without --write-profile, the profile. */
const CALIBRATION_FOLDER: FolderLayout = {
  marker: 'infadapter_capacity.csv',
  isResult: (name, isDirectory) => !isDirectory && [PROFILE_FILE, 'infadapter_cv.csv', 'infadapter_capacity.csv', 'infadapter_capacity.svg', 'infadapter_capacity.png'].includes(name),
};

function summarize(comparison: CapacityComparison[], cvs: CvChoice[], out: string): string {
  const errors = (rows: CapacityComparison[]) => rows.map(relativeError).filter((e): e is number => e !== null);
  const held = comparison.filter((c) => !c.usedForCalibration);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [`cv per variant: ${cvs.map((c) => `${c.variant} ${c.cv}${c.pooled ? ' (pooled)' : ''}`).join(', ')}`];
  const heldErrors = errors(held);
  lines.push(
    `median absolute relative error, SLOs not used for calibration: ${pct(median(heldErrors))} over ${held.length} cells ` +
      `(mean ${pct(mean(heldErrors))}, ${heldErrors.filter((e) => e <= 0.1).length} within 10%)`,
  );
  for (const slo of [...new Set(comparison.map((c) => c.sloMs))].sort((a, b) => a - b)) {
    const at = comparison.filter((c) => c.sloMs === slo);
    lines.push(`  P99 ≤ ${slo} ms${at[0].usedForCalibration ? ' (calibration)' : ''}: median ${pct(median(errors(at)))}`);
  }
  const worst = [...held].sort((a, b) => (relativeError(b) ?? 0) - (relativeError(a) ?? 0)).slice(0, 5);
  lines.push('largest misses:');
  for (const c of worst) lines.push(`  ${c.variant} ${c.cores} cores, ${c.sloMs} ms: measured ${c.measuredRps}, simulated ${c.predictedRps} (${pct(relativeError(c) ?? 0)})`);
  lines.push(`results in ${out}/ (the shipped profile is ${NAMED_PROFILES.infadapter})`, '');
  return lines.join('\n');
}
