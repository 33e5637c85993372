import { randomLcg } from 'd3-random';
import { describe, expect, it } from 'vitest';
import { ReadyReplicas } from '../../src/cluster/ready-replicas.js';
import { pickReplica } from '../../src/cluster/router.js';

interface FakePod {
  routeSlot: number;
  ready: boolean;
  outstanding: number;
}

const isReady = (p: FakePod) => p.ready;
const outstanding = (p: FakePod) => p.outstanding;

describe('ReadyReplicas', () => {
  it('picks what the scan over every pod picks, through random arrivals, departures and pod churn', () => {
    const u = randomLcg(7);
    for (const size of [1, 2, 5, 64, 300]) {
      const pods: FakePod[] = Array.from({ length: size }, () => ({ routeSlot: -1, ready: u() < 0.7, outstanding: 0 }));
      const index = new ReadyReplicas(pods, isReady, outstanding, true);
      for (let step = 0; step < 20_000; step++) {
        const x = u();
        if (x < 0.01) {
          // A pod starts, stops, or a new one is created or removed.
          const pod = pods[Math.floor(u() * pods.length)];
          if (x < 0.004) pod.ready = !pod.ready;
          else if (x < 0.007) pods.push({ routeSlot: -1, ready: true, outstanding: 0 });
          else if (pods.length > 1) pods.splice(pods.indexOf(pod), 1);
          index.invalidate();
        } else if (x < 0.55) {
          const expected = pickReplica('least-outstanding', pods, isReady, outstanding, 0, u);
          expect(index.least()).toBe(expected);
          if (expected !== null) {
            expected.outstanding++;
            index.changed(expected);
          }
        } else {
          const busy = pods.filter((p) => p.outstanding > 0);
          if (busy.length === 0) continue;
          const pod = busy[Math.floor(u() * busy.length)];
          pod.outstanding--;
          index.changed(pod);
        }
        const ready = pods.filter(isReady);
        expect(index.count()).toBe(ready.length);
        const turn = Math.floor(u() * 1000);
        if (ready.length > 0) expect(index.at(turn % ready.length)).toBe(pickReplica('round-robin', pods, isReady, outstanding, turn, u));
      }
    }
  });

  it('has no least replica when none is ready', () => {
    const pods: FakePod[] = [{ routeSlot: -1, ready: false, outstanding: 0 }];
    const index = new ReadyReplicas(pods, isReady, outstanding, true);
    expect(index.least()).toBeNull();
    pods[0].ready = true;
    index.invalidate();
    expect(index.least()).toBe(pods[0]);
  });
});
