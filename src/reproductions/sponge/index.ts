import type { Reproduction } from '../reproduction.js';
import { reportSponge } from './report.js';
import { runSponge, type SpongeOptions, type SpongeResult } from './run.js';
import { policySpecs } from './specs.js';

/** Sponge (Razavi et al., EuroMLSys 2024) against FA2, a static 16-core pod and Kubernetes VPA on its authors' setting. */
export const sponge: Reproduction<SpongeOptions, SpongeResult> = {
  name: 'sponge',
  description: "Sponge, FA2, a static 16-core pod and Kubernetes VPA on Sponge's setting: static 10 and 20 requests/s, 100/200/500 KB images over a 4G uplink, per-request budgets",
  quick: '20 requests/s only, one seed',
  options: [{ flags: '--seeds <n>', description: 'seeds per policy and setting', default: '3' }],
  specs: policySpecs,
  run: runSponge,
  report: reportSponge,
};
