import { join } from 'node:path';
import type { SpecInput } from '../../experiment/spec.js';
import { packageRoot } from '../../paths.js';
import { readSpecFile } from '../../experiment/spec-variants.js';

const SPEC_FOLDER = 'experiments/paper/infadapter';

/**
 * The policies compared, in table.csv's order; each spec's name is its policy's. The base is
 * InfAdapter itself; MS+ chooses among the same five variants from the same start (ResNet152 on
 * 20 cores). VPA-x serves variant x alone, starting on 20 cores, as InfAdapter's starter.py and
 * adapter ran it: a VPA object recommends only ("Off", CPU within [2, 20] cores), and from minute
 * 2 every 30 s (the adapter's decision interval) the target, rounded up to whole cores, restarts
 * the deployment (a rolling update: the new pod starts before the old one goes), a lower or equal
 * target skipped 4 times first (VPA_TYPE "P"). The recommender of 2023 weighted CPU samples by the
 * pod's request.
 */
const POLICY_FILES = ['infadapter', 'ms+', 'vpa-18', 'vpa-34', 'vpa-50', 'vpa-101', 'vpa-152'].map((policy) =>
  policy === 'infadapter' ? 'infadapter.json' : `infadapter.${policy}.json`,
);

export function policySpecs(): SpecInput[] {
  return POLICY_FILES.map((file) => readSpecFile(join(packageRoot, SPEC_FOLDER, file)));
}
