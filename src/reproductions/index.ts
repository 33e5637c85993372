import { biathlon } from './biathlon/index.js';
import { infadapter } from './infadapter/index.js';
import { ipa } from './ipa/index.js';
import type { Reproduction } from './reproduction.js';
import { sponge } from './sponge/index.js';

/** Every paper `servesim reproduce` knows, by the name it is called with. */
export const REPRODUCTIONS: Record<string, Reproduction> = { infadapter, ipa, sponge, biathlon };
