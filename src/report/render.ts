import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../io/atomic-file.js';
import { packageRoot } from '../paths.js';

// The font ships with the project so text renders identically everywhere (resvg draws no text without one).
const FONT_DIR = resolve(packageRoot, 'assets/fonts');
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((name) => resolve(FONT_DIR, name));
const FONT_FAMILY = 'DejaVu Sans';

// Loaded on first use (vega is dynamically imported below for the same reason): commands that
// draw nothing should not pay for the native module.
const require = createRequire(import.meta.url);
let resvg: typeof import('@resvg/resvg-js') | undefined;

/** Compiles a vega-lite spec and renders it headless to SVG text. */
export async function chartToSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  // Spec settings win over these defaults; a transparent background would turn black in some viewers.
  const config = { font: FONT_FAMILY, background: 'white', ...spec.config };
  const compiled = compile({ ...spec, config });
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises SVG text to PNG bytes, `scale` times the SVG's pixel size, with the bundled font only. */
export function svgToPng(svg: string, scale = 2): Buffer {
  resvg ??= require('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
  const renderer = new resvg.Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: {
      loadSystemFonts: false,
      fontFiles: FONT_FILES,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
  });
  return renderer.render().asPng();
}

/** Writes `<path>.svg` and `<path>.png`, each atomically, and returns their paths. */
export async function renderChart(spec: TopLevelSpec, pathWithoutExtension: string): Promise<{ svg: string; png: string }> {
  return writeSvgAndPng(await chartToSvg(spec), pathWithoutExtension);
}

/** Each chart's SVG markup; a chart left undefined draws nothing. */
type Figures<Charts> = { [Name in keyof Charts]: Charts[Name] extends TopLevelSpec ? string : string | undefined };

/** A report's figures: each chart drawn to `<dir>/<name>.svg` and `.png`; returns each SVG's markup by name, to inline in report.html. */
export async function renderFigures<Charts extends Record<string, TopLevelSpec | undefined>>(dir: string, charts: Charts): Promise<Figures<Charts>> {
  const figures: Record<string, string> = {};
  for (const [name, chart] of Object.entries(charts)) {
    if (chart === undefined) continue;
    figures[name] = await chartToSvg(chart);
    writeSvgAndPng(figures[name], join(dir, name));
  }
  return figures as Figures<Charts>;
}

function writeSvgAndPng(svgText: string, pathWithoutExtension: string): { svg: string; png: string } {
  const png = svgToPng(svgText);
  const paths = { svg: `${pathWithoutExtension}.svg`, png: `${pathWithoutExtension}.png` };
  writeFileAtomic(paths.svg, svgText);
  // writeFileAtomic takes text only, so the binary PNG goes through its own temp-and-rename.
  const temp = `${paths.png}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, png);
    renameSync(temp, paths.png);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return paths;
}
