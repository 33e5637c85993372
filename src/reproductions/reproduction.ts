import type { SpecInput } from '../experiment/spec.js';
import type { ReportProvenance } from '../report/html.js';

/** A flag of one paper's reproduction, beyond the --quick, --out and --quiet every paper takes. */
export interface ReproductionOption {
  /** As commander writes it: `--seeds <n>` takes a value, `--calibrate` is a switch. */
  flags: string;
  description: string;
  default?: string;
}

export interface ReproductionContext<Options> {
  /** The paper's own flags, camel-cased (`--cost-model` is `costModel`), defaults filled in. */
  options: Options;
  quick: boolean;
  /** The output folder, already made. */
  out: string;
  /** The fraction done, in [0, 1]. */
  onProgress: (fraction: number) => void;
  /** A line worth telling the user (a step starting, an optional part missing). */
  log: (line: string) => void;
}

/** What a paper's reproduction is, without its code: enough for the command line's help and flags. */
export interface ReproductionAbout {
  /** As `servesim reproduce <name>` calls it. */
  name: string;
  /** One line, for `servesim reproduce --list`. */
  description: string;
  /** What --quick leaves out. */
  quick: string;
  options: ReproductionOption[];
}

/** One paper reproduced: what it is, the specs it runs, its run and its report. */
export interface Reproduction<Options extends object = object, Result = unknown> extends ReproductionAbout {
  /** Its specs as they are run: base specs, and each override applied to its base. */
  specs(): SpecInput[];
  run(context: ReproductionContext<Options>): Promise<Result>;
  /** Writes table.csv, the paper's other CSVs, its figures and report.html (with `provenance` at its foot) into `out`; returns the lines to print. */
  report(result: Result, out: string, provenance: ReportProvenance): Promise<string[]>;
}
