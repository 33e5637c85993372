import { about as biathlon } from './biathlon/about.js';
import { about as infadapter } from './infadapter/about.js';
import { about as ipa } from './ipa/about.js';
import type { Reproduction, ReproductionAbout } from './reproduction.js';
import { about as sponge } from './sponge/about.js';

/** A paper `servesim reproduce` knows: what it is, and its code, loaded when it runs. */
export interface CatalogEntry {
  about: ReproductionAbout;
  load(): Promise<Reproduction>;
}

/** Every paper, in the order `--list` prints them (the same as REPRODUCTIONS in index.ts). */
export const CATALOG: CatalogEntry[] = [
  { about: infadapter, load: async () => (await import('./infadapter/index.js')).infadapter as Reproduction },
  { about: ipa, load: async () => (await import('./ipa/index.js')).ipa as Reproduction },
  { about: sponge, load: async () => (await import('./sponge/index.js')).sponge as Reproduction },
  { about: biathlon, load: async () => (await import('./biathlon/index.js')).biathlon as Reproduction },
];
