import { describe, expect, it } from 'vitest';
import type { EventHandler } from '../../src/engine/event-queue.js';
import { RandomStreams, streamSeed } from '../../src/engine/random.js';
import { EventTimeError, Simulator } from '../../src/engine/simulator.js';

function recorder(sim: Simulator, log: string[]): EventHandler {
  return { handleEvent: (_tag, data) => log.push(`${sim.now}:${data as string}`) };
}

describe('simulator', () => {
  it('runs events in time order, and simultaneous events in the order they were scheduled', () => {
    const sim = new Simulator();
    const log: string[] = [];
    const h = recorder(sim, log);
    sim.at(2, h, 0, 'c');
    sim.at(1, h, 0, 'a');
    sim.at(2, h, 0, 'd');
    sim.at(1, h, 0, 'b');
    sim.runUntil(Infinity);
    expect(log).toEqual(['1:a', '1:b', '2:c', '2:d']);
    expect(sim.eventsHandled).toBe(4);
  });

  it('stops before the horizon, moves the clock to it, and resumes', () => {
    const sim = new Simulator();
    const log: string[] = [];
    const h = recorder(sim, log);
    sim.at(1, h, 0, 'a');
    sim.at(3, h, 0, 'b');
    sim.runUntil(3);
    expect(log).toEqual(['1:a']);
    expect(sim.now).toBe(3);
    sim.runUntil(10);
    expect(log).toEqual(['1:a', '3:b']);
  });

  it('handles events a handler schedules at the current time after those already due', () => {
    const sim = new Simulator();
    const log: string[] = [];
    const h: EventHandler = {
      handleEvent: (_tag, data) => {
        log.push(data as string);
        if (data === 'first') sim.after(0, h, 0, 'spawned');
      },
    };
    sim.at(1, h, 0, 'first');
    sim.at(1, h, 0, 'second');
    sim.runUntil(Infinity);
    expect(log).toEqual(['first', 'second', 'spawned']);
  });

  it('skips cancelled events without counting them', () => {
    const sim = new Simulator();
    const log: string[] = [];
    const h = recorder(sim, log);
    const doomed = sim.at(1, h, 0, 'x');
    sim.at(2, h, 0, 'y');
    sim.cancel(doomed);
    sim.runUntil(Infinity);
    expect(log).toEqual(['2:y']);
    expect(sim.eventsHandled).toBe(1);
  });

  it('stops after the event whose handler calls stop, with the clock at its time, and resumes', () => {
    const sim = new Simulator();
    const log: string[] = [];
    const h: EventHandler = {
      handleEvent: (_tag, data) => {
        log.push(`${sim.now}:${data as string}`);
        if (data === 'b') sim.stop();
      },
    };
    for (const [time, value] of [[1, 'a'], [2, 'b'], [2, 'c'], [3, 'd']] as const) sim.at(time, h, 0, value);
    sim.runUntil(10);
    expect(log).toEqual(['1:a', '2:b']);
    expect(sim.now).toBe(2);
    sim.runUntil(10);
    expect(log).toEqual(['1:a', '2:b', '2:c', '3:d']);
    expect(sim.now).toBe(10);
  });
});

describe('impossible event times are refused, as SimPy refuses a negative delay', () => {
  class Named implements EventHandler {
    constructor(readonly name: string) {}
    handleEvent(): void {}
  }
  const handler = new Named('svc');
  const atFive = () => {
    const sim = new Simulator();
    sim.runUntil(5);
    return sim;
  };

  it.each([
    ['before now', 1],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
  ])('at, post and after refuse a time %s, naming the handler and its tag', (_what, time) => {
    const sim = atFive();
    const message = `an event at ${time} s (now 5 s) scheduled by Named "svc", tag 7: expected a finite time, not before now`;
    expect(() => sim.at(time, handler, 7)).toThrow(EventTimeError);
    expect(() => sim.at(time, handler, 7)).toThrow(message);
    expect(() => sim.post(time, handler, 7)).toThrow(message);
    expect(() => sim.after(time - 5, handler, 7)).toThrow(EventTimeError);
    expect(sim.pendingEvents).toBe(0);
  });

  it('refuses a recycled posted event at an impossible time too, and keeps the error details', () => {
    const sim = new Simulator();
    const h: EventHandler = { handleEvent: () => sim.post(sim.now - 1, h, 3) };
    sim.post(1, h);
    let caught: unknown;
    try {
      sim.runUntil(Infinity);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EventTimeError);
    const refused = caught as EventTimeError;
    expect([refused.time, refused.now, refused.tag, refused.handler]).toEqual([0, 1, 3, h]);
    expect(refused.message).toContain('scheduled by a plain handler object, tag 3');
  });

  it('accepts an event at exactly now, and one at the largest finite time', () => {
    const sim = atFive();
    expect(sim.at(5, handler).time).toBe(5);
    expect(sim.at(Number.MAX_VALUE, handler).time).toBe(Number.MAX_VALUE);
    expect(sim.after(0, handler).time).toBe(5);
  });
});

describe('random streams', () => {
  it('gives the same numbers for the same seed and name', () => {
    const a = new RandomStreams(42).uniform('arrivals');
    const b = new RandomStreams(42).uniform('arrivals');
    const drawsA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(drawsA);
  });

  it('gives unrelated first draws for neighbouring seeds and for different names', () => {
    const first = (seed: number, name: string) => new RandomStreams(seed).uniform(name)();
    const draws = [1, 2, 3, 42, 43].map((seed) => first(seed, 'arrivals'));
    for (let i = 1; i < draws.length; i++) expect(Math.abs(draws[i] - draws[i - 1])).toBeGreaterThan(0.001);
    expect(first(7, 'arrivals')).not.toBeCloseTo(first(7, 'service:svc'), 3);
  });

  it('derives each stream from the run seed and its own name only', () => {
    expect(streamSeed(7, 'service:a')).toBe(streamSeed(7, 'service:a'));
    expect(streamSeed(7, 'service:a')).not.toBe(streamSeed(8, 'service:a'));
    expect(streamSeed(2 ** 40, 'x')).not.toBe(streamSeed(0, 'x'));
  });

  it('produces uniform draws (mean 1/2, variance 1/12)', () => {
    const u = new RandomStreams(3).uniform('check');
    let sum = 0;
    let squares = 0;
    let min = 1;
    let max = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const x = u();
      sum += x;
      squares += x * x;
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(squares / n - (sum / n) ** 2).toBeCloseTo(1 / 12, 3);
  });
});

describe('posted events (objects recycled after they run)', () => {
  /** A branching cascade with many simultaneous events; returns the order values were handled in. */
  function cascade(schedule: (sim: Simulator, time: number, h: EventHandler, value: number) => void): string[] {
    const sim = new Simulator();
    const log: string[] = [];
    let next = 1;
    const h: EventHandler = {
      handleEvent: (_tag, data) => {
        log.push(`${sim.now}:${data as number}`);
        if (next < 2000) {
          schedule(sim, sim.now, h, next++);
          schedule(sim, sim.now + (next % 3), h, next++);
        }
      },
    };
    schedule(sim, 0, h, 0);
    sim.runUntil(Infinity);
    return log;
  }

  it('run in exactly the order cancellable events do', () => {
    const posted = cascade((sim, time, h, value) => sim.post(time, h, 0, value));
    const handled = cascade((sim, time, h, value) => void sim.at(time, h, 0, value));
    expect(posted).toHaveLength(2001);
    expect(posted).toEqual(handled);
  });
});
