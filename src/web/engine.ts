import { InputError } from '../errors.js';
import { validateSpec } from '../experiment/spec-issues.js';
import { runSpec } from '../experiment/run.js';
import type { Spec } from '../experiment/spec.js';
import type { Summary } from '../experiment/summary.js';
import { host } from '../io/files.js';
import { joinPath, resolvePath } from '../io/path.js';
import { formatWindowRow, TIMESERIES_HEADER, type WindowRow } from '../metrics/timeseries.js';

export interface BrowserRun {
  spec: Spec;
  summary: Summary;
  /** The rows of `timeseries.csv`, per window and deployment. */
  rows: WindowRow[];
}

/**
 * Runs a spec (its JSON text, or the parsed value) as `servesim run` does and returns its summary
 * and timeseries rows; `onProgress` hears the fraction done. A spec's data files (traces, profiles)
 * are named as in the repository (`traces/…`) and read through the host (src/io/files.ts).
 * A relative name is looked up as the command-line tool does: from the working directory (the
 * installation), then the spec's `folder` (e.g. `labs/01-queueing`). Anything wrong with the spec
 * is an InputError naming the field.
 */
export async function runInBrowser(specJson: string | unknown, onProgress?: (fraction: number) => void, folder?: string): Promise<BrowserRun> {
  let raw: unknown = specJson;
  if (typeof specJson === 'string') {
    try {
      raw = JSON.parse(specJson);
    } catch (error) {
      throw new InputError(`spec: not JSON (${(error as Error).message})`);
    }
  }
  const spec = validateSpec(raw, 'spec');
  const rows: WindowRow[] = [];
  const summary = await runSpec(spec, {
    resolve: (file) => dataFile(file, folder),
    onRow: (row) => rows.push(row),
    onProgress,
  });
  return { spec, summary, rows };
}

/** The rows as `timeseries.csv` writes them. */
export function timeseriesCsv(rows: readonly WindowRow[]): string {
  return TIMESERIES_HEADER + rows.map(formatWindowRow).join('');
}

function dataFile(file: string, folder: string | undefined): string {
  const candidates = [resolvePath(file), ...(folder === undefined ? [] : [resolvePath(joinPath(folder, file))])];
  return candidates.find((path) => host().exists(path)) ?? candidates[0];
}
