import { z } from 'zod';
import { MAX_GAMMA_CV, MIN_GAMMA_CV, MIN_MMPP_SOJOURN_SECONDS } from './limits.js';

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();

/** A rate in requests/s: a constant, or a piecewise-constant schedule [[t0, r0], [t1, r1], …]. */
export const rateSchema = z.union([
  nonNegative,
  z
    .array(z.tuple([nonNegative, nonNegative]))
    .min(1)
    .refine((steps) => steps.every((step, i) => i === 0 || step[0] > steps[i - 1][0]), {
      message: 'schedule times must increase',
    }),
]);

export const arrivalsSchema = z.discriminatedUnion('process', [
  z.strictObject({ process: z.literal('poisson'), rate: rateSchema }).describe('Poisson arrivals'),
  z
    .strictObject({ process: z.literal('gamma'), rate: positive, cv: z.number().min(MIN_GAMMA_CV).max(MAX_GAMMA_CV) })
    .describe('Renewal process with Gamma inter-arrival times (cv > 1 is burstier than Poisson)'),
  z
    .strictObject({
      process: z.literal('mmpp'),
      rates: z.array(nonNegative).min(2),
      meanDurations: z.array(z.number().min(MIN_MMPP_SOJOURN_SECONDS)).min(2),
    })
    .refine((m) => m.rates.length === m.meanDurations.length, {
      message: 'rates and meanDurations must have the same length',
      path: ['meanDurations'],
    })
    // With every rate 0 no request would ever arrive; the process would only switch states.
    .refine((m) => m.rates.some((rate) => rate > 0), { message: 'expected at least one positive rate (all are 0: no request would ever arrive)', path: ['rates'] })
    .describe('Markov-modulated Poisson: state i has rate rates[i] for an exponential time of mean meanDurations[i] s'),
  z
    .strictObject({ process: z.literal('poisson-within-second') })
    .describe('For per-second count traces: the second\'s count spread as a Poisson process within it'),
]);

export const traceSchema = z
  .strictObject({
    file: z.string().min(1).describe('CSV file; relative paths are looked up from the working directory, the spec\'s folder and the servesim installation'),
    format: z
      .enum(['counts', 'timestamps', 'rates'])
      .optional()
      .describe('counts: one count per second; timestamps: one row per request; rates: (time, rate) samples. Detected from the header when omitted'),
    column: z.string().optional().describe('The count or time column (detected when omitted)'),
    valueColumn: z.string().optional().describe('The rate column of a rates trace (default "value")'),
    timeUnit: z.enum(['s', 'ms', 'datetime']).optional().describe('Unit of the time column (detected when omitted)'),
    start: nonNegative.optional().describe('First trace second to replay (a row index for count traces)'),
    duration: positive.optional().describe('Seconds of trace to replay from start (default: to the end)'),
    scale: positive.optional().describe('Multiplies the rate (counts are rounded stochastically; timestamps are compressed)'),
    damping: z.number().int().min(1).optional().describe('Integer-divides every per-second count (IPA uses 8)'),
    maskGaps: positive
      .optional()
      .describe('Counts only: runs of zero seconds at least this long are missing data and are cut from the timeline'),
  })
  .describe('A real request trace');

export const workloadSchema = z
  .strictObject({
    arrivals: arrivalsSchema.optional(),
    trace: traceSchema.optional(),
    slo: positive.optional().describe('End-to-end latency SLO of every request, seconds'),
    target: z.string().optional().describe('Pipeline or deployment that receives the requests (default: the first pipeline, else the first deployment)'),
  })
  .superRefine((w, ctx) => {
    if (!w.arrivals && !w.trace) {
      ctx.addIssue({ code: 'custom', message: 'expected "arrivals" or "trace"', path: [] });
    }
    if (w.trace && w.arrivals && w.arrivals.process !== 'poisson-within-second') {
      ctx.addIssue({
        code: 'custom',
        message: `"${w.arrivals.process}" cannot replay a trace; use "poisson-within-second" (or omit arrivals)`,
        path: ['arrivals', 'process'],
      });
    }
    if (!w.trace && w.arrivals?.process === 'poisson-within-second') {
      ctx.addIssue({ code: 'custom', message: '"poisson-within-second" needs a per-second count trace', path: ['arrivals', 'process'] });
    }
  });

export type RateSpec = z.infer<typeof rateSchema>;
export type ArrivalsSpec = z.infer<typeof arrivalsSchema>;
export type TraceSpec = z.infer<typeof traceSchema>;
export type WorkloadSpec = z.infer<typeof workloadSchema>;
