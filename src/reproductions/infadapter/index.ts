import type { Reproduction } from '../reproduction.js';
import { reportInfAdapter } from './report.js';
import { runInfAdapter, type InfAdapterOptions, type InfAdapterResult } from './run.js';
import { policySpecs } from './specs.js';

/** InfAdapter (Salmani et al., EuroMLSys 2023) against MS+ and VPA on each ResNet variant. */
export const infadapter: Reproduction<InfAdapterOptions, InfAdapterResult> = {
  name: 'infadapter',
  description: "InfAdapter, MS+ and VPA-18…152 on InfAdapter's Twitter segment, every policy on the identical seeds",
  quick: 'one seed and no sensitivity sweep',
  options: [{ flags: '--seeds <n>', description: 'seeds per policy', default: '3' }],
  specs: policySpecs,
  run: runInfAdapter,
  report: reportInfAdapter,
};
