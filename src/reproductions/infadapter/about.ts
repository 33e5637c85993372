import type { ReproductionAbout } from '../reproduction.js';

/** What `servesim reproduce infadapter` is, for its help and flags: the command line reads this alone until the paper runs. */
export const about: ReproductionAbout = {
  name: 'infadapter',
  description: "InfAdapter, MS+ and VPA-18…152 on InfAdapter's Twitter segment, every policy on the identical seeds",
  quick: 'one seed and no sensitivity sweep',
  options: [{ flags: '--seeds <n>', description: 'seeds per policy', default: '3' }],
};
