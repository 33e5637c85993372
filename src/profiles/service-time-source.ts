import type { z } from 'zod';
import { biathlonServingSchema } from '../approx/schema.js';
import type { Uniform } from '../engine/random.js';
import { InputError } from '../errors.js';
import { biathlonJobs, preparedJobs } from './biathlon-jobs.js';
import { profileCapacity, type CapacityPoint } from './capacity-data.js';
import type { LatencyModel } from './latency-model.js';
import { loadLatencyModel, profileRefSchema, profileTable } from './registry.js';
import type { ProfilePoint } from './table-model.js';
import { serviceTimeMoments, serviceTimeSampler, serviceTimeSchema } from './service-time.js';

/** A source's service times: a latency model, and the variant the source names, where it names one. */
export interface ServiceTimeModel extends LatencyModel {
  /** The variant served (a profile's); without one, the deployment's name stands for it. */
  variant?: string;
}

/** One kind of service-time source: the deployment field it is written in, what it holds, and what it builds. */
interface SourceKind<Field extends string, Schema extends z.ZodType> {
  field: Field;
  schema: Schema;
  /** The field's description in the spec schema, where its schema does not carry one. */
  description?: string;
  /** Asynchronous work before a run is built (once per process and setting). */
  prepare?(settings: z.output<Schema>): Promise<void>;
  create(settings: z.output<Schema>, resolve: (file: string) => string): ServiceTimeModel;
  /** The source's capacity data at a P99 SLO (see capacity-data.ts); a kind without any has none to give. */
  capacity?(settings: z.output<Schema>, sloMs: number, resolve: (file: string) => string, deployment: string): CapacityPoint[];
  /** The source's profiled points (latency and throughput per batch size and core count); a kind without a table has none. */
  table?(settings: z.output<Schema>, resolve: (file: string) => string): ProfilePoint[];
}

/** Keeps a kind's field name literal, so the spec fields below are typed one by one. */
const sourceKind = <Field extends string, Schema extends z.ZodType>(kind: SourceKind<Field, Schema>) => kind;

/**
 * Where a deployment's service times come from, by kind: adding a kind is one entry here. A spec
 * names exactly one of them by its field on the deployment (`serviceTime`, `profile`, `biathlon`).
 */
export const SERVICE_TIME_SOURCES = {
  distribution: sourceKind({
    field: 'serviceTime',
    schema: serviceTimeSchema,
    description: 'Service time of one batch from a distribution',
    // The time of one batch whatever its size and the pod's cores: the sampler ignores both.
    create: (distribution) => ({
      mean: () => serviceTimeMoments(distribution).mean,
      sampler: (u: Uniform): ((batch: number, cores: number) => number) => serviceTimeSampler(distribution, u),
    }),
  }),
  profile: sourceKind({
    field: 'profile',
    schema: profileRefSchema,
    create: (profile, resolve) => ({ ...loadLatencyModel(profile, resolve), variant: profile.variant }),
    capacity: (profile, sloMs, resolve, deployment) => profileCapacity(profile, sloMs, resolve, deployment),
    table: (profile, resolve) => profileTable(profile, resolve),
  }),
  biathlon: sourceKind({
    field: 'biathlon',
    schema: biathlonServingSchema,
    prepare: async (serving) => {
      await biathlonJobs(serving);
    },
    create: (serving) => {
      const jobs = preparedJobs(serving);
      const meanJob = jobs.seconds.reduce((sum, s) => sum + s, 0) / jobs.seconds.length;
      return {
        mean: (batch) => batch * meanJob,
        // A batch runs its jobs back to back, each a generated request's time resampled.
        sampler: (u) => (batch) => {
          let seconds = 0;
          for (let i = 0; i < batch; i++) seconds += jobs.seconds[Math.floor(u() * jobs.seconds.length)];
          return seconds;
        },
        // One request per lane: the paper runs a request's queries on one core.
        concurrency: (cores) => Math.max(1, Math.floor(cores)),
        accuracy: jobs.accuracy,
      };
    },
  }),
};

type Sources = typeof SERVICE_TIME_SOURCES;
export type ServiceTimeSourceKind = keyof Sources;

/** A deployment's service-time source, normalised from the field it is written in. */
export type ServiceTimeSource = { [K in ServiceTimeSourceKind]: { kind: K; settings: z.output<Sources[K]['schema']> } }[ServiceTimeSourceKind];

/** The deployment's service-time fields as a spec has them after parsing. */
export type ServiceTimeFields = { [K in ServiceTimeSourceKind as Sources[K]['field']]?: z.output<Sources[K]['schema']> };

const KINDS = Object.keys(SERVICE_TIME_SOURCES) as ServiceTimeSourceKind[];
const FIELDS = KINDS.map((kind) => SERVICE_TIME_SOURCES[kind].field);

/** The zod fields of a deployment, one optional field per source kind, for the cluster's deployment schema. */
export const serviceTimeSourceFields = Object.fromEntries(
  KINDS.map((kind) => {
    const { field, schema, description } = SERVICE_TIME_SOURCES[kind] as SourceKind<string, z.ZodType>;
    return [field, description === undefined ? schema.optional() : schema.optional().describe(description)];
  }),
) as { [K in ServiceTimeSourceKind as Sources[K]['field']]: z.ZodOptional<Sources[K]['schema']> };

/** The deployment schema's check that a deployment names exactly one source, and its message. */
export const hasOneServiceTimeSource = (d: ServiceTimeFields) => FIELDS.filter((field) => d[field] !== undefined).length === 1;
export const ONE_SERVICE_TIME_SOURCE = `expected exactly one of ${FIELDS.slice(0, -1).map((f) => `"${f}"`).join(', ')} and "${FIELDS[FIELDS.length - 1]}"`;

/** The one source a (validated) deployment names. */
export function serviceTimeSourceOf(d: ServiceTimeFields): ServiceTimeSource {
  const kinds = KINDS.filter((kind) => d[SERVICE_TIME_SOURCES[kind].field] !== undefined);
  if (kinds.length !== 1) throw new Error(`a deployment's service time: ${ONE_SERVICE_TIME_SOURCE}`);
  return { kind: kinds[0], settings: d[SERVICE_TIME_SOURCES[kinds[0]].field] } as ServiceTimeSource;
}

// TypeScript cannot relate a source's kind to its settings through the map, so the map is read
// here, once, as kinds of unknown settings.
const kindOf = (source: ServiceTimeSource) => SERVICE_TIME_SOURCES[source.kind] as SourceKind<string, z.ZodType>;

/** The service times of a source; `resolve` turns a data file's name into its path. */
export function serviceTimeModel(source: ServiceTimeSource, resolve: (file: string) => string): ServiceTimeModel {
  return kindOf(source).create(source.settings, resolve);
}

/** Does the asynchronous work of every deployment's source before a run is built (Biathlon's job tables). */
export async function prepareServiceTimes(deployments: readonly ServiceTimeFields[]): Promise<void> {
  for (const d of deployments) {
    const source = serviceTimeSourceOf(d);
    await kindOf(source).prepare?.(source.settings);
  }
}

/**
 * A deployment's capacity at a P99 SLO of `sloMs`, one point per core count, from its source's
 * capacity data; a source without any is one InputError naming the deployment.
 */
export function serviceTimeCapacity(d: ServiceTimeFields & { name: string }, sloMs: number, resolve: (file: string) => string): CapacityPoint[] {
  const source = serviceTimeSourceOf(d);
  const kind = kindOf(source);
  if (kind.capacity === undefined) {
    const withData = KINDS.filter((k) => SERVICE_TIME_SOURCES[k].capacity !== undefined).map((k) => `"${SERVICE_TIME_SOURCES[k].field}"`);
    throw new InputError(`deployment "${d.name}": its "${kind.field}" service times carry no capacity data (only a ${withData.join(' or ')} does: see README "Profiles")`);
  }
  return kind.capacity(source.settings, sloMs, resolve, d.name);
}

/**
 * A deployment's profiled points (per batch size and core count: mean, P99, throughput), for
 * policies that choose among them (IPA); a source without a table is one InputError naming the deployment.
 */
export function serviceTimeTable(d: ServiceTimeFields & { name: string }, resolve: (file: string) => string): ProfilePoint[] {
  const source = serviceTimeSourceOf(d);
  const kind = kindOf(source);
  if (kind.table === undefined) throw new InputError(`deployment "${d.name}": its "${kind.field}" service times are no profile table (a "profile" with batch sizes and core counts is: see README "Profiles")`);
  return kind.table(source.settings, resolve);
}
