import type { ReproductionAbout } from '../reproduction.js';

/** What `servesim reproduce sponge` is, for its help and flags: the command line reads this alone until the paper runs. */
export const about: ReproductionAbout = {
  name: 'sponge',
  description: "Sponge, FA2, a static 16-core pod and Kubernetes VPA on Sponge's setting: static 10 and 20 requests/s, 100/200/500 KB images over a 4G uplink, per-request budgets",
  quick: '20 requests/s only, one seed',
  options: [{ flags: '--seeds <n>', description: 'seeds per policy and setting', default: '3' }],
};
