import type { ReproductionAbout } from '../reproduction.js';

/** What `servesim reproduce ipa` is, for its help and flags: the command line reads this alone until the paper runs. */
export const about: ReproductionAbout = {
  name: 'ipa',
  description: "IPA, FA2-low, FA2-high and RIM on IPA's video pipeline under its four load patterns, with its predictor ablation, objective preferences and decision times",
  quick: 'the bursty pattern only, one seed, no preference sweep, pipelines of 2 to 4 stages in the decision-time figure',
  options: [{ flags: '--seeds <n>', description: 'seeds per policy and pattern', default: '3' }],
};
