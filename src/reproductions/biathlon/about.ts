import type { ReproductionAbout } from '../reproduction.js';

/** What `servesim reproduce biathlon` is, for its help and flags: the command line reads this alone until the paper runs. */
export const about: ReproductionAbout = {
  name: 'biathlon',
  description: "Biathlon's seven synthetic pipelines served exactly and approximately, swept over τ and δ",
  quick: 'fewer requests, smaller groups',
  options: [
    { flags: '--seed <n>', description: 'seed of the generated data and models', default: '1' },
    { flags: '--pipelines <list>', description: 'comma-separated pipelines (default: all seven)' },
    { flags: '--calibrate', description: 'measure the cost model on this machine first (writes DIR/cost_model.json) instead of reading profiles/biathlon/cost_model.json' },
    { flags: '--cost-model <file>', description: 'a cost model file written by --calibrate' },
  ],
};
