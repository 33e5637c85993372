/**
 * How long to wait before restarting a server that crashed, as the kubelet's CrashLoopBackOff
 * does for a container: the first crash restarts at once; a crash that follows within the back-off
 * waits it out, and the back-off doubles, from 10 s up to 5 min; a server that has run for twice
 * the maximum (10 min) without crashing starts again from the beginning.
 *
 * Sources: kubernetes/kubernetes pkg/kubelet/kubelet.go (`backOffPeriod = 10 * time.Second`,
 * `MaxContainerBackOff = 300 * time.Second`, given to `flowcontrol.NewBackOff`, without jitter);
 * pkg/kubelet/kuberuntime/kuberuntime_manager.go `doBackOff` (a container that exited is
 * restarted unless `IsInBackOffSince(its finish time)`, then `Next` doubles the back-off);
 * client-go util/flowcontrol/backoff.go (doubling capped at the maximum, `hasExpired` after
 * 2 × maximum); and the Pod Lifecycle page, "Container restarts" (10 s, 20 s, 40 s, … capped at
 * five minutes, reset after ten minutes of running).
 */
export interface CrashBackOffOptions {
  /** Seconds of the first back-off; default 10 (the kubelet's backOffPeriod). Shrink it in tests. */
  initialSeconds?: number;
  /** Seconds the back-off doubles up to; default 300 (the kubelet's MaxContainerBackOff). */
  maxSeconds?: number;
}

export const DEFAULT_CRASH_BACKOFF = { initialSeconds: 10, maxSeconds: 300 } as const;

export class CrashLoopBackOff {
  private readonly initial: number;
  private readonly max: number;
  /** The back-off in force (seconds) and when it was last set; null before the first crash. */
  private backOff = 0;
  private lastUpdate: number | null = null;

  constructor(options: CrashBackOffOptions = {}) {
    this.initial = options.initialSeconds ?? DEFAULT_CRASH_BACKOFF.initialSeconds;
    this.max = options.maxSeconds ?? DEFAULT_CRASH_BACKOFF.maxSeconds;
    if (!(this.initial >= 0) || !(this.max >= this.initial)) throw new RangeError(`crash back-off: expected 0 <= initialSeconds <= maxSeconds, got ${this.initial} and ${this.max}`);
  }

  /**
   * A server crashed at `crashTime` (seconds, any clock): the seconds to wait before restarting
   * it. Call it once per crash; the restart counts as the moment the back-off was last updated.
   */
  delayAfterCrash(crashTime: number): number {
    const expired = this.lastUpdate === null || crashTime - this.lastUpdate > 2 * this.max;
    if (expired) {
      // Not in back-off: restart now, and the next crash waits the initial back-off.
      this.backOff = this.initial;
      this.lastUpdate = crashTime;
      return 0;
    }
    const delay = this.backOff;
    this.backOff = Math.min(this.backOff * 2, this.max);
    this.lastUpdate = crashTime + delay;
    return delay;
  }
}
