import type { Reproduction } from '../reproduction.js';
import { about } from './about.js';
import { reportInfAdapter } from './report.js';
import { runInfAdapter, type InfAdapterOptions, type InfAdapterResult } from './run.js';
import { policySpecs } from './specs.js';

/** InfAdapter (Salmani et al., EuroMLSys 2023) against MS+ and VPA on each ResNet variant. */
export const infadapter: Reproduction<InfAdapterOptions, InfAdapterResult> = {
  ...about,
  specs: policySpecs,
  run: runInfAdapter,
  report: reportInfAdapter,
};
