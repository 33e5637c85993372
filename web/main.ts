// The playground page: picks or edits a spec, checks it against the spec schema as it is typed,
// runs it in a Web Worker (web/worker.ts) and shows the summary and charts of the run beside
// those of the previous one.
import embed from 'vega-embed';
import { describeIssue } from '../src/experiment/spec-issues.js';
import { specSchema } from '../src/experiment/spec.js';
import type { Summary } from '../src/experiment/summary.js';
import type { WindowRow } from '../src/metrics/timeseries.js';
import { formatWindowRow, TIMESERIES_HEADER } from '../src/metrics/timeseries.js';
import type { WorkerReply } from './worker.js';

interface CatalogEntry {
  name: string;
  folder: string;
  spec: unknown;
}

interface Run {
  label: string;
  summary: Summary;
  rows: WindowRow[];
  seconds: number;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const picker = $<HTMLSelectElement>('picker');
const editor = $<HTMLTextAreaElement>('editor');
const problems = $<HTMLElement>('problems');
const runButton = $<HTMLButtonElement>('run');
const progress = $<HTMLProgressElement>('progress');
const status = $<HTMLElement>('status');
const shareBox = $<HTMLInputElement>('share-url');
const fields = {
  duration: $<HTMLInputElement>('f-duration'),
  seed: $<HTMLInputElement>('f-seed'),
  rate: $<HTMLInputElement>('f-rate'),
  replicas: $<HTMLInputElement>('f-replicas'),
};

// ---- the spec in the URL: #spec=<base64url of the spec's UTF-8 JSON>, or #example=<name> ----

export function encodeSpec(json: string): string {
  const bytes = new TextEncoder().encode(json);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function decodeSpec(text: string): string {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

let catalog: CatalogEntry[] = [];
let folder: string | undefined;

function findEntry(name: string): CatalogEntry | undefined {
  const bare = name.replace(/\.json$/, '');
  return catalog.find((e) => e.name === bare) ?? catalog.find((e) => e.name.endsWith(`/${bare}`));
}

function fromHash(fallback: string): { json: string; entry?: CatalogEntry } {
  const params = new URLSearchParams(location.hash.slice(1));
  const spec = params.get('spec');
  if (spec !== null) {
    try {
      return { json: decodeSpec(spec) };
    } catch {
      problems.textContent = 'the #spec= in the URL is not base64url of a spec: showing the default';
    }
  }
  const name = params.get('example') ?? params.get('lab') ?? (location.hash.length > 1 && !location.hash.includes('=') ? decodeURIComponent(location.hash.slice(1)) : null);
  const entry = (name === null ? undefined : findEntry(name)) ?? findEntry(fallback) ?? catalog[0];
  if (name !== null && findEntry(name) === undefined) problems.textContent = `no spec named "${name}": showing ${entry.name}`;
  return { json: JSON.stringify(entry.spec, null, 2), entry };
}

// ---- the editor and its form ----

/** The editor's spec if it is JSON and a valid spec, else null (with the problem shown). */
function check(): unknown {
  let raw: unknown;
  try {
    raw = JSON.parse(editor.value);
  } catch (error) {
    problems.textContent = `not JSON: ${(error as Error).message}`;
    return null;
  }
  const result = specSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    problems.textContent = describeIssue(result.error.issues[0]);
    return null;
  }
  problems.textContent = '';
  return raw;
}

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function fillForm(raw: Raw): void {
  fields.duration.value = raw.duration ?? '';
  fields.seed.value = raw.seed ?? '';
  const rate = raw.workload?.arrivals?.rate;
  fields.rate.value = typeof rate === 'number' ? String(rate) : '';
  fields.rate.disabled = typeof rate !== 'number';
  const replicas = raw.deployments?.[0]?.replicas;
  fields.replicas.value = typeof replicas === 'number' ? String(replicas) : '';
  fields.replicas.disabled = typeof replicas !== 'number';
}

function setEditor(json: string, entry?: CatalogEntry): void {
  editor.value = json;
  folder = entry?.folder;
  if (entry !== undefined) picker.value = entry.name;
  const raw = check();
  if (raw !== null) fillForm(raw as Raw);
}

function applyForm(): void {
  let raw: Raw;
  try {
    raw = JSON.parse(editor.value);
  } catch {
    return;
  }
  const number = (input: HTMLInputElement) => (input.value.trim() === '' ? undefined : Number(input.value));
  const set = (value: number | undefined, write: (v: number) => void) => value !== undefined && write(value);
  set(number(fields.duration), (v) => (raw.duration = v));
  set(number(fields.seed), (v) => (raw.seed = v));
  if (!fields.rate.disabled) set(number(fields.rate), (v) => (raw.workload.arrivals.rate = v));
  if (!fields.replicas.disabled) set(number(fields.replicas), (v) => (raw.deployments[0].replicas = v));
  editor.value = JSON.stringify(raw, null, 2);
  check();
}

// ---- running ----

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let runId = 0;
let current: Run | null = null;

function run(): void {
  const raw = check();
  if (raw === null) return;
  const id = ++runId;
  const spec = JSON.stringify(raw);
  const label = (raw as Raw).name ?? picker.value;
  runButton.disabled = true;
  progress.value = 0;
  status.textContent = 'running…';
  document.body.dataset.state = 'running';
  worker.onmessage = (event: MessageEvent<WorkerReply>) => {
    const reply = event.data;
    if (reply.id !== id) return;
    if (reply.kind === 'progress') {
      progress.value = reply.fraction;
      return;
    }
    runButton.disabled = false;
    if (reply.kind === 'error') {
      status.textContent = '';
      problems.textContent = reply.message;
      document.body.dataset.state = 'failed';
      return;
    }
    progress.value = 1;
    status.textContent = `done in ${reply.seconds.toFixed(2)} s`;
    const previous = current;
    current = { label, summary: reply.summary as Summary, rows: reply.rows as WindowRow[], seconds: reply.seconds };
    show(current, 'current');
    if (previous !== null) show(previous, 'previous');
    document.body.dataset.state = 'done';
  };
  worker.postMessage({ id, spec, folder });
}

// ---- showing a run ----

const fmt = (value: number | null | undefined, digits = 3) => (value === null || value === undefined ? '–' : String(Number(value.toFixed(digits))));

/** The summary's lines: a label, the value shown and the value itself (in `data-value`, for scripts and tests). */
function summaryLines(s: Summary): [string, string, unknown][] {
  const line = (name: string, value: number | string | null, digits = 3): [string, string, unknown] => [name, typeof value === 'number' || value === null ? fmt(value, digits) : value, value];
  return [
    line('spec', s.name),
    line('policy', s.policy),
    line('simulated seconds', s.duration),
    line('requests', s.requests),
    line('completed', s.completed),
    line('dropped', s.dropped),
    line('in flight at the end', s.inFlight),
    line('latency mean (ms)', s.latencyMs.mean),
    line('latency p50 (ms)', s.latencyMs.p50),
    line('latency p99 (ms)', s.latencyMs.p99),
    line('SLO (s)', s.sloSeconds),
    line('SLO violation rate', s.sloViolationRate, 6),
    line('mean cores', s.meanCores),
    line('reconfigurations', s.reconfigurations),
    line('events', s.events),
  ];
}

function show(run: Run, slot: 'current' | 'previous'): void {
  const panel = $<HTMLElement>(`run-${slot}`);
  panel.hidden = false;
  panel.querySelector('h2')!.textContent = `${slot === 'current' ? 'This run' : 'Previous run'}: ${run.label}`;
  const table = panel.querySelector<HTMLElement>('.summary')!;
  table.replaceChildren(
    ...summaryLines(run.summary).map(([name, value, raw]) => {
      const row = document.createElement('tr');
      const th = document.createElement('th');
      const td = document.createElement('td');
      th.textContent = name;
      td.textContent = value;
      td.dataset.field = name;
      td.dataset.value = JSON.stringify(raw);
      row.append(th, td);
      return row;
    }),
  );
  const downloads = panel.querySelector<HTMLElement>('.downloads')!;
  downloads.replaceChildren(
    link(`${run.summary.name}-timeseries.csv`, 'timeseries.csv', TIMESERIES_HEADER + run.rows.map(formatWindowRow).join(''), 'text/csv'),
    link(`${run.summary.name}-summary.json`, 'summary.json', `${JSON.stringify(run.summary, null, 2)}\n`, 'application/json'),
  );
  void charts(run, panel);
}

function link(file: string, text: string, body: string, type: string): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([body], { type }));
  a.download = file;
  a.textContent = `download ${text}`;
  return a;
}

async function charts(run: Run, panel: HTMLElement): Promise<void> {
  const slo = run.summary.sloSeconds === null ? [] : [{ slo: run.summary.sloSeconds * 1000 }];
  const rows = run.rows.map((r) => ({ t: r.t, deployment: r.deployment, p99: r.p99Ms, replicas: r.replicas, cores: r.cores }));
  const width = 'container' as const;
  const options = { actions: false, renderer: 'svg' as const };
  await embed(
    panel.querySelector<HTMLElement>('.chart-latency')!,
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: 'P99 latency per window (the rule: the SLO)',
      width,
      height: 180,
      layer: [
        {
          data: { values: rows },
          mark: { type: 'line', interpolate: 'step-after' },
          encoding: {
            x: { field: 't', type: 'quantitative', title: 'simulated time (s)' },
            y: { field: 'p99', type: 'quantitative', title: 'P99 (ms)' },
            color: { field: 'deployment', type: 'nominal' },
          },
        },
        ...(slo.length === 0 ? [] : [{ data: { values: slo }, mark: { type: 'rule' as const, color: 'firebrick', strokeDash: [4, 3] }, encoding: { y: { field: 'slo', type: 'quantitative' as const } } }]),
      ],
    },
    options,
  );
  await embed(
    panel.querySelector<HTMLElement>('.chart-capacity')!,
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: 'Replicas and cores',
      width,
      height: 180,
      data: { values: rows },
      transform: [{ fold: ['replicas', 'cores'], as: ['measure', 'value'] }],
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'simulated time (s)' },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'measure', type: 'nominal' },
        strokeDash: { field: 'deployment', type: 'nominal' },
      },
    },
    options,
  );
  const l = run.summary.latencyMs;
  const percentiles = [
    { q: 'p50', ms: l.p50 },
    { q: 'p90', ms: l.p90 },
    { q: 'p95', ms: l.p95 },
    { q: 'p99', ms: l.p99 },
    { q: 'max', ms: l.max },
  ].filter((p) => p.ms !== null);
  await embed(
    panel.querySelector<HTMLElement>('.chart-percentiles')!,
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: 'End-to-end latency percentiles (the rule: the SLO)',
      width,
      height: 120,
      layer: [
        {
          data: { values: percentiles },
          mark: { type: 'bar' },
          encoding: {
            y: { field: 'q', type: 'nominal', sort: null, title: null },
            x: { field: 'ms', type: 'quantitative', title: 'latency (ms)' },
          },
        },
        ...(slo.length === 0 ? [] : [{ data: { values: slo }, mark: { type: 'rule' as const, color: 'firebrick', strokeDash: [4, 3] }, encoding: { x: { field: 'slo', type: 'quantitative' as const } } }]),
      ],
    },
    options,
  );
}

// ---- wiring ----

function share(): void {
  const raw = check();
  if (raw === null) return;
  history.replaceState(null, '', `#spec=${encodeSpec(JSON.stringify(raw))}`);
  shareBox.value = location.href;
  shareBox.select();
}

async function start(): Promise<void> {
  const response = await fetch('specs.json');
  const offered = (await response.json()) as { default: string; specs: CatalogEntry[] };
  catalog = offered.specs;
  picker.replaceChildren(
    ...catalog.map((entry) => {
      const option = document.createElement('option');
      option.value = entry.name;
      option.textContent = entry.name;
      return option;
    }),
  );
  const { json, entry } = fromHash(offered.default);
  setEditor(json, entry);
  picker.addEventListener('change', () => {
    const chosen = findEntry(picker.value);
    if (chosen === undefined) return;
    setEditor(JSON.stringify(chosen.spec, null, 2), chosen);
    history.replaceState(null, '', `#example=${chosen.name}`);
  });
  editor.addEventListener('input', () => {
    const raw = check();
    if (raw !== null) fillForm(raw as Raw);
  });
  for (const input of Object.values(fields)) input.addEventListener('change', applyForm);
  runButton.addEventListener('click', run);
  $<HTMLButtonElement>('share').addEventListener('click', share);
  window.addEventListener('hashchange', () => {
    const next = fromHash(offered.default);
    if (next.json !== editor.value) setEditor(next.json, next.entry);
  });
  run();
}

start().catch((error: unknown) => {
  problems.textContent = `cannot start: ${error instanceof Error ? error.message : String(error)}`;
});
