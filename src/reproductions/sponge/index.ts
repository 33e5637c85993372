import type { Reproduction } from '../reproduction.js';
import { about } from './about.js';
import { reportSponge } from './report.js';
import { runSponge, type SpongeOptions, type SpongeResult } from './run.js';
import { policySpecs } from './specs.js';

/** Sponge (Razavi et al., EuroMLSys 2024) against FA2, a static 16-core pod and Kubernetes VPA on its authors' setting. */
export const sponge: Reproduction<SpongeOptions, SpongeResult> = {
  ...about,
  specs: policySpecs,
  run: runSponge,
  report: reportSponge,
};
