import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-file.js';
import { calibrateInfAdapter, median, relativeError, type CapacityComparison } from '../experiment/calibrate.js';
import { packageRoot } from '../paths.js';
import { NAMED_PROFILES } from '../profiles/registry.js';
import { formatProfileCsv } from '../profiles/table-model.js';
import { capacityChart } from '../report/capacity-chart.js';
import { renderChart } from '../report/render.js';
import { parseCapacityMethod, parseSeed } from './flags.js';

export interface CalibrateFlags {
  out: string;
  seed: string;
  method: string;
  writeProfile?: string;
  quiet?: boolean;
}

const HEADER = 'variant,cores,slo_ms,measured_rps,simulated_rps,error_pct,used_for_calibration\n';

function csvRow(c: CapacityComparison): string {
  const error = relativeError(c);
  return `${c.variant},${c.cores},${c.sloMs},${c.measuredRps},${c.predictedRps},${error === null ? '' : (100 * error).toFixed(2)},${c.usedForCalibration}\n`;
}

/**
 * `servesim calibrate infadapter`: fits each (variant, cores) pod's service times to InfAdapter's
 * capacity at the 750 ms SLO, predicts the capacity at the other SLOs by simulation, and compares.
 */
export async function calibrateCommand(target: string, flags: CalibrateFlags): Promise<void> {
  if (target !== 'infadapter') throw new InputError(`calibrate: expected "infadapter", got "${target}"`);
  const method = parseCapacityMethod(flags.method);
  const seed = parseSeed(flags.seed);
  const table = join(packageRoot, 'profiles/infadapter/capacity_result_Feb_21.csv');
  const { profile, comparison, cv } = await calibrateInfAdapter(table, {
    method,
    seed,
    onProgress: flags.quiet ? undefined : (status) => process.stderr.write(`\rcalibrating: ${status}   `),
  });
  if (!flags.quiet) process.stderr.write('\n');
  mkdirSync(flags.out, { recursive: true });
  writeFileAtomic(join(flags.out, 'infadapter_capacity.csv'), HEADER + comparison.map(csvRow).join(''));
  writeFileAtomic(flags.writeProfile ?? join(flags.out, 'infadapter_calibrated_service_times.csv'), formatProfileCsv(profile));
  await renderChart(
    capacityChart(comparison, 'ResNet pod capacity: InfAdapter measurements (points) and servesim (lines), calibrated at 750 ms'),
    join(flags.out, 'infadapter_capacity'),
  );
  if (!flags.quiet) process.stdout.write(`service-time cv chosen: ${cv}\n${summarize(comparison, flags.out)}`);
}

function summarize(comparison: CapacityComparison[], out: string): string {
  const errors = (rows: CapacityComparison[]) => rows.map(relativeError).filter((e): e is number => e !== null);
  const held = comparison.filter((c) => !c.usedForCalibration);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [`median absolute relative error, SLOs not used for calibration: ${pct(median(errors(held)))} over ${held.length} configurations`];
  for (const slo of [...new Set(comparison.map((c) => c.sloMs))]) {
    lines.push(`  P99 ≤ ${slo} ms: median ${pct(median(errors(comparison.filter((c) => c.sloMs === slo))))}`);
  }
  const worst = [...held].sort((a, b) => (relativeError(b) ?? 0) - (relativeError(a) ?? 0)).slice(0, 5);
  lines.push('largest misses:');
  for (const c of worst) lines.push(`  ${c.variant} ${c.cores} cores, ${c.sloMs} ms: measured ${c.measuredRps}, simulated ${c.predictedRps} (${pct(relativeError(c) ?? 0)})`);
  lines.push(`results in ${out}/ (default profile: ${NAMED_PROFILES.infadapter})`, '');
  return lines.join('\n');
}
