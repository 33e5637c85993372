import type { RandomStreams } from '../engine/random.js';
import { BandwidthLog } from '../profiles/bandwidth-log.js';
import { serviceTimeSampler } from '../profiles/service-time.js';
import type { NetworkSpec } from './schema.js';

/** Network delays: a latency per hop, and the upload of each request's payload from the client. */
export class Network {
  /** Seconds of one hop (a draw); null when hops are free. */
  readonly hop: (() => number) | null;
  /** Whether any delay applies (else requests go straight through). */
  readonly delays: boolean;
  private readonly bandwidth: BandwidthLog | null;

  constructor(
    private readonly spec: NetworkSpec | undefined,
    streams: RandomStreams,
    resolve: (file: string) => string,
  ) {
    this.hop = spec?.hop === undefined ? null : serviceTimeSampler(spec.hop, streams.uniform('network:hop'));
    this.bandwidth = spec?.upload === undefined ? null : new BandwidthLog(resolve(spec.upload.bandwidthLog));
    this.delays = this.hop !== null || this.bandwidth !== null;
  }

  /** Seconds from the client's send to the request reaching the first stage. */
  entryDelay(sendTime: number): number {
    const upload = this.bandwidth === null ? 0 : this.bandwidth.uploadSeconds((this.spec?.upload as { sizeKB: number }).sizeKB, sendTime);
    return upload + (this.hop === null ? 0 : this.hop());
  }

  hopDelay(): number {
    return this.hop === null ? 0 : this.hop();
  }
}
