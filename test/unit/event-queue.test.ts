import { randomLcg } from 'd3-random';
import { describe, expect, it } from 'vitest';
import { EventHeap, type EventHandler } from '../../src/engine/event-queue.js';

const handler: EventHandler = { handleEvent: () => {} };

describe('EventHeap', () => {
  it('pops by time, then by push order, through growth and interleaved pushes and pops', () => {
    const u = randomLcg(3);
    const heap = new EventHeap();
    // The reference: every pending entry, kept sorted by (time, push order).
    const pending: { time: number; id: number }[] = [];
    let id = 0;
    let now = 0;
    for (let step = 0; step < 200_000; step++) {
      // Mostly pushes early (grow to thousands pending), mostly pops late (drain).
      const pushing = pending.length === 0 || u() < (step < 100_000 ? 0.6 : 0.4);
      if (pushing) {
        // Coarse times give many ties.
        const time = now + Math.floor(u() * 50) / 10;
        heap.push(time, handler, id % 7, id);
        pending.push({ time, id: id++ });
      } else {
        pending.sort((a, b) => a.time - b.time || a.id - b.id);
        const expected = pending.shift()!;
        expect(heap.peekTime()).toBe(expected.time);
        now = heap.pop();
        expect([now, heap.data, heap.tag, heap.handler]).toEqual([expected.time, expected.id, expected.id % 7, handler]);
      }
      expect(heap.size).toBe(pending.length);
    }
    expect(id).toBeGreaterThan(100_000);
  });

  it('is empty at Infinity', () => {
    const heap = new EventHeap();
    expect(heap.peekTime()).toBe(Infinity);
    heap.push(2, handler, 0, null);
    heap.pop();
    expect([heap.size, heap.peekTime()]).toEqual([0, Infinity]);
  });
});
