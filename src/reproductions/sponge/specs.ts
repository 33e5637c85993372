import { join } from 'node:path';
import { mergeOverride, readSpecFile } from '../../experiment/spec-variants.js';
import type { SpecInput } from '../../experiment/spec.js';
import { packageRoot } from '../../paths.js';

const SPEC_FOLDER = 'experiments/paper/sponge';

/**
 * The policies compared, in table.csv's order; each spec's name is its policy's. The base is
 * Sponge on its authors' setting; FA2 and the static 16-core pod are their baselines
 * (data/configs/final: dynainf, fa2 and the config named "vpa"); Kubernetes VPA, resizing in
 * place, is the real vertical autoscaler to compare with.
 */
export const POLICIES = ['sponge', 'fa2', 'static-16', 'vpa'] as const;

export function policySpecs(): SpecInput[] {
  return POLICIES.map((policy) => readSpecFile(join(packageRoot, SPEC_FOLDER, policy === 'sponge' ? 'sponge.json' : `sponge.${policy}.json`)));
}

/** One setting of the authors' experiments: a static rate and an image size. */
export interface Setting {
  rateRps: number;
  imageKB: number;
}

/** The authors' settings: static 10 and 20 requests/s, images of 100, 200 and 500 KB. */
export const SETTINGS: Setting[] = [10, 20].flatMap((rateRps) => [100, 200, 500].map((imageKB) => ({ rateRps, imageKB })));

/** A policy's spec at one setting and seed, named after all three. */
export function atSetting(spec: SpecInput, setting: Setting, seed: number): SpecInput {
  return mergeOverride(spec, {
    seed,
    name: `${spec.name}-${setting.rateRps}rps-${setting.imageKB}kb-seed${seed}`,
    workload: { arrivals: { rate: setting.rateRps } },
    network: { upload: { sizeKB: setting.imageKB } },
  }) as SpecInput;
}

/**
 * Beyond the authors' runs (their Twitter configs are commented out): 10 minutes of the Twitter
 * trace around the burst of InfAdapter's segment (seconds 1,301,400–1,302,000), scaled by 0.1 to
 * Sponge's rates (about 5 requests/s, then 20–27), Poisson within each second.
 */
export const TWITTER = { file: 'traces/twitter_2021_08/twitter_per_second.csv', start: 1301400, duration: 600, scale: 0.1 };

/** A policy's spec on the Twitter segment with one image size and seed. */
export function onTwitter(spec: SpecInput, imageKB: number, seed: number): SpecInput {
  return mergeOverride(spec, {
    seed,
    name: `${spec.name}-twitter-${imageKB}kb-seed${seed}`,
    workload: { arrivals: { process: 'poisson-within-second', rate: null }, trace: TWITTER },
    network: { upload: { sizeKB: imageKB } },
  }) as SpecInput;
}
