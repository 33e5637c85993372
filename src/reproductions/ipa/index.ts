import type { Reproduction } from '../reproduction.js';
import { reportIpa } from './report.js';
import { runIpa, type IpaOptions, type IpaResult } from './run.js';
import { policySpecs } from './specs.js';

/** IPA (Ghafouri et al., JSys 2024) against FA2-low, FA2-high and RIM on the video pipeline. */
export const ipa: Reproduction<IpaOptions, IpaResult> = {
  name: 'ipa',
  description: "IPA, FA2-low, FA2-high and RIM on IPA's video pipeline under its four load patterns, with its predictor ablation, objective preferences and decision times",
  quick: 'the bursty pattern only, one seed, no preference sweep, pipelines of 2 to 4 stages in the decision-time figure',
  options: [{ flags: '--seeds <n>', description: 'seeds per policy and pattern', default: '3' }],
  specs: policySpecs,
  run: runIpa,
  report: reportIpa,
};
