import { z } from 'zod';
import { InputError } from '../errors.js';
import { joinPath } from '../io/path.js';
import { packageRoot } from '../paths.js';
import { CsvTable } from './csv-table.js';
import { readIpaFig2 } from './infadapter.js';
import { ipaVideoStandin } from './ipa-standin.js';
import { lognormalSampler, type LatencyModel } from './latency-model.js';
import { fitSponge, readBatchCoreLatencies, spongeModel, type SpongeCoefficients } from './sponge-model.js';
import { readProfileCsv, tableModel, type ProfilePoint } from './table-model.js';

/** The profiles servesim ships, by name; their sources are in profiles/PROVENANCE.md. */
export const NAMED_PROFILES = {
  /** InfAdapter's ResNet pods on CPU, service times calibrated from its capacity profile (`servesim calibrate`). */
  infadapter: 'profiles/infadapter/calibrated_service_times.csv',
  /** IPA's motivating ResNet figure: one core, batch 1. */
  'ipa-fig2': 'profiles/ipa/fig2_resnet_latency_throughput_accuracy.csv',
  /** Sponge's batch × cores latency profile (a YOLOv5 variant), through its fitted model l(b, c). */
  sponge: 'profiles/sponge/latency_profile_batch_cores.csv',
  /** A documented stand-in for IPA's unpublished video-pipeline profiles (YOLOv5n–x, ResNet18–152). */
  'ipa-video': 'profiles/ipa/model_variant_accuracies.csv',
} as const;

/** Accuracy of each variant where a profile's sources state it (fraction; negative WER for speech). */
function accuracies(name: keyof typeof NAMED_PROFILES | undefined): Map<string, number> {
  const at = (path: string) => joinPath(packageRoot, path);
  switch (name) {
    case 'infadapter': {
      const table = new CsvTable(at('profiles/infadapter/resnet_variants.csv'));
      return new Map(table.rows.map((r) => [table.text(r, 'variant'), table.number(r, 'top1_accuracy')]));
    }
    case 'ipa-fig2': {
      const table = new CsvTable(at(NAMED_PROFILES['ipa-fig2']));
      return new Map(table.rows.map((r) => [table.text(r, 'variant'), table.number(r, 'top1_accuracy_pct') / 100]));
    }
    case 'ipa-video': {
      const table = new CsvTable(at(NAMED_PROFILES['ipa-video']));
      const video = table.rows.filter((r) => table.text(r, 'pipeline') === 'video');
      return new Map(video.map((r) => [table.text(r, 'variant'), Number(table.text(r, 'accuracy_value')) / 100]));
    }
    default:
      return new Map();
  }
}

export const profileRefSchema = z
  .strictObject({
    name: z.enum(Object.keys(NAMED_PROFILES) as [keyof typeof NAMED_PROFILES]).optional(),
    file: z.string().optional().describe('A profile CSV (variant,device,cores,batch,mean_ms,p50_ms,p99_ms,throughput_rps)'),
    variant: z.string().min(1),
    device: z.string().default('cpu'),
    cv: z.number().nonnegative().optional().describe('Overrides the spread of service times the profile implies'),
  })
  .refine((p) => (p.name === undefined) !== (p.file === undefined), { message: 'expected exactly one of "name" and "file"' })
  .describe('Service times from a profile: latency as a function of batch size and cores');

export type ProfileRef = z.infer<typeof profileRefSchema>;

const pointsCache = new Map<string, ProfilePoint[]>();

function cachedPoints(path: string, read: (path: string) => ProfilePoint[]): ProfilePoint[] {
  let points = pointsCache.get(path);
  if (points === undefined) {
    points = read(path);
    pointsCache.set(path, points);
  }
  return points;
}

/**
 * The profiled points of one variant on one device (every batch size and core count the profile
 * has); `resolve` turns a user's file name into a path. Not for `sponge`, a fitted model, not a table.
 */
export function profileTable(ref: ProfileRef, resolve: (file: string) => string = (f) => f): ProfilePoint[] {
  if (ref.name === 'sponge') throw new InputError('profile "sponge" is a fitted model l(b, c), not a table of profiled points');
  const points =
    ref.name === 'ipa-fig2'
      ? cachedPoints(joinPath(packageRoot, NAMED_PROFILES['ipa-fig2']), readIpaFig2)
      : ref.name === 'ipa-video'
        ? cachedPoints('ipa-video', () =>
            ipaVideoStandin({
              fig2: joinPath(packageRoot, NAMED_PROFILES['ipa-fig2']),
              yolo: joinPath(packageRoot, 'profiles/published/ultralytics_yolov5_detect_640.csv'),
              notebook: joinPath(packageRoot, 'profiles/ipa/notebook_measurements.csv'),
              shape: fitSponge(readBatchCoreLatencies(joinPath(packageRoot, NAMED_PROFILES.sponge))),
            }),
          )
        : cachedPoints(ref.name === undefined ? resolve(ref.file as string) : joinPath(packageRoot, NAMED_PROFILES[ref.name]), readProfileCsv);
  const mine = points.filter((p) => p.variant === ref.variant && p.device === ref.device);
  if (mine.length === 0) {
    const known = [...new Set(points.map((p) => `${p.variant}/${p.device}`))].join(', ');
    throw new InputError(`profile "${ref.name ?? ref.file}" has no variant "${ref.variant}" on device "${ref.device}" (it has ${known})`);
  }
  return mine;
}

/** Sponge's l(b, c) fitted to the named sponge profile. */
function namedSpongeFit(ref: ProfileRef): SpongeCoefficients {
  if (ref.variant !== 'yolov5') throw new InputError(`profile "sponge" has the variant "yolov5" only, got "${ref.variant}"`);
  return fitSponge(readBatchCoreLatencies(joinPath(packageRoot, NAMED_PROFILES.sponge)));
}

/**
 * Sponge's l(b, c) = γ·b/c + δ·b + ε/c + η for one variant: the named sponge profile's fit, or the
 * same least-squares fit to any profile table's mean batch latencies (a profile `servesim profile` measured).
 */
export function spongeFitOf(ref: ProfileRef, resolve: (file: string) => string = (f) => f): SpongeCoefficients {
  if (ref.name === 'sponge') return namedSpongeFit(ref);
  return fitSponge(profileTable(ref, resolve).map((p) => ({ batch: p.batch, cores: p.cores, latency: p.mean })));
}

/** The latency model of one variant on one device; `resolve` turns a user's file name into a path. */
export function loadLatencyModel(ref: ProfileRef, resolve: (file: string) => string = (f) => f): LatencyModel {
  if (ref.name === 'sponge') return spongeModel(namedSpongeFit(ref), ref.cv);
  const mine = profileTable(ref, resolve);
  const label = ref.name ?? ref.file;
  const model = { ...tableModel(mine, `profile "${label}" ${ref.variant}/${ref.device}`), accuracy: accuracies(ref.name).get(ref.variant) };
  if (ref.cv === undefined) return model;
  const cv = ref.cv;
  return { ...model, sampler: (u) => lognormalSampler(u, model.mean, () => cv) };
}
