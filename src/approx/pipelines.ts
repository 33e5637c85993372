import { randomLogNormal, randomNormal } from 'd3-random';
import type { Uniform } from '../engine/random.js';
import type { AggregateOp } from './aggregates.js';
import type { PipelineShape } from './biathlon.js';

/**
 * Seven synthetic pipelines modelled on Biathlon's evaluation (shared facts in
 * profiles/biathlon/pipelines_profile.json): the same number of aggregation queries and features,
 * the same operators and model kinds, regression or classification as there. The data are
 * generated, not the Kaggle/NYC tables (which are not redistributable here): each request draws
 * latent state (a zone's fare level, a battery's age, an engine's degradation, a click's intent),
 * a heavy-tailed number of rows per query, and the rows themselves (skewed or categorical where
 * the real columns are); its label is a noisy function of the latent state. The exact features
 * and exact prediction of every request are therefore known.
 */
export interface SyntheticPipeline {
  /** Our id (lower case) and the paper's pipeline name. */
  name: string;
  paperName: string;
  task: 'regression' | 'classification';
  /** The model family: Biathlon's LightGBM/XGBoost/RF become a random forest here (see README). */
  model: 'linear' | 'forest' | 'mlp';
  /** The paper's model, for the report. */
  paperModel: string;
  classes: number;
  shape: PipelineShape;
  /** The paper's default δ (its units; ours is our model's MAE, as the paper's appears to be). */
  paperDelta: number;
  /** One request's data; `rowScale` multiplies every group size (tests use small ones). */
  generate(u: Uniform, rowScale?: number): GeneratedRequest;
}

export interface GeneratedRequest {
  fixed: number[];
  /** Each query's rows (independent draws, not yet partitioned). */
  rows: Float64Array[];
  label: number;
}

/** Draw helpers over one uniform stream. */
function draws(u: Uniform, rowScale = 1) {
  const normal = randomNormal.source(u)(0, 1);
  return {
    normal,
    uniform: u,
    int: (n: number) => Math.floor(u() * n),
    bernoulli: (p: number) => (u() < p ? 1 : 0),
    /** Heavy-tailed group size: lognormal around `median` (σ of the log 1), and 3 % tiny groups (5–60 rows) to exercise the 30-row fallback. */
    groupSize: (median: number) => (u() < 0.03 ? 5 + Math.floor(u() * 56) : Math.max(5, Math.round(median * rowScale * Math.exp(normal())))),
    /** n rows of a normal(mean, sd) column. */
    normalRows(n: number, mean: number, sd: number) {
      const rows = new Float64Array(n);
      for (let i = 0; i < n; i++) rows[i] = mean + sd * normal();
      return rows;
    },
    /** n rows of a right-skewed column: lognormal with this mean and coefficient of variation. */
    skewedRows(n: number, mean: number, cv: number) {
      const draw = lognormal(u, mean, cv);
      const rows = new Float64Array(n);
      for (let i = 0; i < n; i++) rows[i] = draw();
      return rows;
    },
    /** n category codes from a Zipf(0.5) law over `categories` values, shifted by `offset` (a session's own mix: it revisits the places it knows). */
    categoricalRows(n: number, categories: number, offset: number) {
      const weights = Array.from({ length: categories }, (_, i) => 1 / (i + 1) ** 0.5);
      const total = weights.reduce((a, b) => a + b, 0);
      const cumulative = new Float64Array(categories);
      weights.reduce((sum, w, i) => (cumulative[i] = sum + w / total), 0);
      const rows = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const t = u();
        let c = 0;
        while (c < categories - 1 && cumulative[c] < t) c++;
        rows[i] = (c + offset) % categories;
      }
      return rows;
    },
  };
}

/** Lognormal draws with this mean and coefficient of variation. */
function lognormal(u: Uniform, mean: number, cv: number): () => number {
  const sigma2 = Math.log1p(cv * cv);
  return randomLogNormal.source(u)(Math.log(mean) - sigma2 / 2, Math.sqrt(sigma2));
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const queries = (...list: [string, AggregateOp[]][]) => list.map(([name, ops]) => ({ name, ops }));

/** Trip-Fare: fare of a taxi trip from its distance and the demand and fare level around its zones. */
const tripFare: SyntheticPipeline = {
  name: 'trip-fare',
  paperName: 'Trip-Fare',
  task: 'regression',
  model: 'forest',
  paperModel: 'LightGBM regressor',
  classes: 0,
  paperDelta: 1.4,
  shape: { fixedFeatures: 4, queries: queries(['pickup-zone-1h', ['count', 'avg']], ['dropoff-zone-30min', ['count']]) },
  generate(u, rowScale) {
    const d = draws(u, rowScale);
    const distance = Math.min(30, 0.3 + lognormal(u, 2.6, 0.9)());
    const weekend = d.bernoulli(2 / 7);
    const pickupZone = d.int(60);
    const dropoffZone = d.int(60);
    const fareLevel = 9 + 8 * d.uniform();
    const pickups = d.groupSize(100_000);
    const dropoffs = d.groupSize(50_000);
    const surge = 2.5 * Math.tanh(pickups / Math.max(dropoffs, 1) / 3 - 0.7);
    const label = 2.5 + 2.4 * distance + 0.3 * (fareLevel - 13) + 0.8 * weekend + surge + 1.2 * d.normal();
    return {
      fixed: [distance, weekend, pickupZone, dropoffZone],
      rows: [d.skewedRows(pickups, fareLevel, 0.6), new Float64Array(dropoffs)],
      label,
    };
  },
};

/** Tick-Price: next hour's average bid from this hour's ticks and six hourly lags (a linear model). */
const tickPrice: SyntheticPipeline = {
  name: 'tick-price',
  paperName: 'Tick-Price',
  task: 'regression',
  model: 'linear',
  paperModel: 'linear regression',
  classes: 0,
  paperDelta: 0.04,
  shape: { fixedFeatures: 6, queries: queries(['ticks-1h', ['avg']]) },
  generate(u, rowScale) {
    const d = draws(u, rowScale);
    // A random walk of hourly means (price units of a JPY pair, so δ is of the paper's order).
    const hourly = [105 + 10 * d.uniform()];
    for (let h = 0; h < 6; h++) hourly.push(hourly[hourly.length - 1] + 0.12 * d.normal());
    const current = hourly[6];
    const ticks = d.groupSize(200_000);
    return { fixed: hourly.slice(0, 6).reverse(), rows: [d.normalRows(ticks, current, 0.25)], label: current + 0.05 * d.normal() };
  },
};

/** Battery: time to discharge from the mean and spread of five measured channels over the battery's readings. */
const battery: SyntheticPipeline = {
  name: 'battery',
  paperName: 'Battery',
  task: 'regression',
  model: 'forest',
  paperModel: 'LightGBM regressor',
  classes: 0,
  paperDelta: 186.7,
  shape: {
    fixedFeatures: 1,
    queries: queries(['voltage-measured', ['avg', 'std']], ['current-measured', ['avg', 'std']], ['temperature-measured', ['avg', 'std']], ['current-load', ['avg', 'std']], ['voltage-load', ['avg', 'std']]),
  },
  generate(u, rowScale) {
    const d = draws(u, rowScale);
    const age = d.uniform();
    const load = 1 + 2 * d.uniform();
    const readings = d.groupSize(20_000);
    const rows = [
      d.normalRows(readings, 3.6 - 0.35 * age, 0.25 + 0.2 * age),
      d.normalRows(readings, -load, 0.4),
      d.skewedRows(readings, 28 + 10 * age + 3 * load, 0.25),
      d.normalRows(readings, load, 0.3 + 0.3 * age),
      d.normalRows(readings, 2.8 - 0.4 * age, 0.5),
    ];
    const label = 3600 * (1 - 0.45 * age) / load + 150 * d.normal();
    return { fixed: [Math.round(age * 600)], rows, label };
  },
};

const TURBOFAN_SENSORS = ['hs', 'smlpc', 'lpt-flow', 'hpc-eff', 'fan-flow', 'fan-eff', 'lpt-eff', 'hpt-flow', 'hpt-eff'];

/** Turbofan: remaining useful life from the means of nine health and sensor channels over a cycle's rows. */
const turbofan: SyntheticPipeline = {
  name: 'turbofan',
  paperName: 'Turbofan',
  task: 'regression',
  model: 'forest',
  paperModel: 'random forest regressor',
  classes: 0,
  paperDelta: 4.88,
  shape: { fixedFeatures: 0, queries: queries(...TURBOFAN_SENSORS.map((s): [string, AggregateOp[]] => [s, ['avg']])) },
  generate(u, rowScale) {
    const d = draws(u, rowScale);
    const wear = d.uniform();
    const rows = d.groupSize(20_000);
    // Each channel drifts with wear at its own rate, under noise that hides most of the drift row by row.
    const columns = TURBOFAN_SENSORS.map((_, i) => d.normalRows(rows, -(0.2 + 0.1 * i) * wear, 0.3 + 0.03 * i));
    return { fixed: [], rows: columns, label: 90 * (1 - wear) ** 1.3 + 4 * d.normal() };
  },
};

/** Fraud-Detection: whether a click leads to a download, from three click counts of its IP (a tree classifier). */
const fraud: SyntheticPipeline = {
  name: 'fraud-detection',
  paperName: 'Fraud-Detection',
  task: 'classification',
  model: 'forest',
  paperModel: 'XGBoost classifier',
  classes: 2,
  paperDelta: 0,
  shape: { fixedFeatures: 4, queries: queries(['ip-1day', ['count']], ['ip-app', ['count']], ['ip-app-os', ['count']]) },
  generate(u, rowScale) {
    const d = draws(u, rowScale);
    const app = d.int(30);
    const device = d.int(4);
    const os = d.int(20);
    const channel = d.int(40);
    const clicks = d.groupSize(200_000);
    const appClicks = Math.max(1, Math.round(clicks * (0.05 + 0.4 * d.uniform())));
    const osClicks = Math.max(1, Math.round(appClicks * (0.1 + 0.6 * d.uniform())));
    // Click farms click a lot from one address; real users click an app a few times and install it.
    const intent = -0.3 - 1.5 * Math.log10(clicks / 100_000) - 0.8 * Math.log10(appClicks / osClicks) + (app < 6 ? 1 : 0);
    const label = d.bernoulli(sigmoid(5 * intent));
    return { fixed: [app, device, os, channel], rows: [new Float64Array(clicks), new Float64Array(appClicks), new Float64Array(osClicks)], label };
  },
};

/** Bearing-Imbalance: the imbalance class of a motor (normal or one of four imbalance masses) from eight vibration channel means (an MLP). */
const bearing: SyntheticPipeline = {
  name: 'bearing-imbalance',
  paperName: 'Bearing-Imbalance',
  task: 'classification',
  model: 'mlp',
  paperModel: 'MLP classifier',
  classes: 5,
  paperDelta: 0,
  shape: { fixedFeatures: 0, queries: queries(...Array.from({ length: 8 }, (_, i): [string, AggregateOp[]] => [`sensor-${i}`, ['avg']])) },
  generate(u, rowScale) {
    const d = draws(u, rowScale);
    const label = d.int(5);
    // Imbalance mass shifts each channel's mean a little; the rows are dominated by vibration noise.
    const severity = label + 0.6 * d.normal();
    const rows = d.groupSize(30_000);
    const columns = Array.from({ length: 8 }, (_, i) => d.normalRows(rows, 0.15 * severity * (i % 2 === 0 ? 1 : -0.5) * (1 + i / 8), 1.5));
    return { fixed: [], rows: columns, label };
  },
};

const STUDENT_NUMERIC = ['elapsed-time', 'level', 'page', 'room-x', 'room-y', 'screen-x', 'screen-y', 'hover-duration'];
const STUDENT_CATEGORICAL: [string, number][] = [
  ['event-name', 11],
  ['name', 6],
  ['fqid', 128],
  ['room-fqid', 19],
  ['text-fqid', 126],
];

/** Student-QA: whether a student answers correctly, from a game session's event statistics (a tree classifier). */
const studentQa: SyntheticPipeline = {
  name: 'student-qa',
  paperName: 'Student-QA',
  task: 'classification',
  model: 'forest',
  paperModel: 'random forest classifier',
  classes: 2,
  paperDelta: 0,
  shape: {
    fixedFeatures: 0,
    queries: queries(...STUDENT_NUMERIC.map((c): [string, AggregateOp[]] => [c, ['avg', 'std']]), ...STUDENT_CATEGORICAL.map(([c]): [string, AggregateOp[]] => [c, ['count-distinct']])),
  },
  generate(u, rowScale) {
    const d = draws(u, rowScale);
    const skill = d.normal();
    const events = d.groupSize(5_000);
    const numeric = STUDENT_NUMERIC.map((_, i) =>
      i === 0 || i === 7 ? d.skewedRows(events, (i === 0 ? 900 : 300) * Math.exp(-0.3 * skill), 1.5) : d.normalRows(events, 10 * i + 2 * skill * (i % 3 === 0 ? 1 : 0), 20),
    );
    // Curious students visit more of the game: more distinct rooms and texts.
    const explored = sigmoid(skill);
    const categorical = STUDENT_CATEGORICAL.map(([, n]) => d.categoricalRows(events, Math.max(2, Math.round(n * (0.4 + 0.6 * explored))), d.int(n)));
    const label = d.bernoulli(sigmoid(1.8 * skill + 0.3));
    return { fixed: [], rows: [...numeric, ...categorical], label };
  },
};

export const SYNTHETIC_PIPELINES: readonly SyntheticPipeline[] = [tripFare, tickPrice, battery, turbofan, fraud, bearing, studentQa];

export function syntheticPipeline(name: string): SyntheticPipeline | undefined {
  return SYNTHETIC_PIPELINES.find((p) => p.name === name);
}
