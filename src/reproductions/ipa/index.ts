import type { Reproduction } from '../reproduction.js';
import { about } from './about.js';
import { reportIpa } from './report.js';
import { runIpa, type IpaOptions, type IpaResult } from './run.js';
import { policySpecs } from './specs.js';

/** IPA (Ghafouri et al., JSys 2024) against FA2-low, FA2-high and RIM on the video pipeline. */
export const ipa: Reproduction<IpaOptions, IpaResult> = {
  ...about,
  specs: policySpecs,
  run: runIpa,
  report: reportIpa,
};
