import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { chartToSvg, renderChart, svgToPng } from '../../src/report/render.js';
import { tempDir } from '../helpers/cli.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const values = [1, 2, 3, 4, 5].flatMap((t) => [
  { t, series: 'baseline', p99: 0.1 + 0.02 * t },
  { t, series: 'autoscaled', p99: 0.3 - 0.03 * t },
]);

const lineChart: TopLevelSpec = {
  title: 'p99 latency over time',
  width: 300,
  height: 150,
  data: { values },
  mark: 'line',
  encoding: {
    x: { field: 't', type: 'quantitative', title: 'time (s)' },
    y: { field: 'p99', type: 'quantitative', title: 'p99 latency (s)' },
    color: { field: 'series', type: 'nominal' },
  },
};

const withoutText = (svg: string) => svg.replace(/<text\b[^>]*>[^<]*<\/text>/g, '');

describe('report rendering', () => {
  it('writes an SVG and a PNG of a line chart', async () => {
    const dir = tempDir();
    const paths = await renderChart(lineChart, join(dir, 'latency'));
    expect(paths).toEqual({ svg: join(dir, 'latency.svg'), png: join(dir, 'latency.png') });
    expect(readdirSync(dir).sort()).toEqual(['latency.png', 'latency.svg']);

    const svg = readFileSync(paths.svg, 'utf8');
    expect(svg).toContain('<svg');
    for (const text of ['p99 latency over time', 'time (s)', 'p99 latency (s)', 'autoscaled']) expect(svg).toContain(text);
    expect(svg).toContain('DejaVu Sans');

    const png = readFileSync(paths.png);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(png.length).toBeGreaterThan(5_000);
  });

  it('draws the text into the PNG with the bundled font', async () => {
    const svg = await chartToSvg(lineChart);
    // With no usable font resvg silently skips text, so the two would come out the same.
    expect(svgToPng(svg).length).toBeGreaterThan(svgToPng(withoutText(svg)).length + 2_000);

    const textOnly = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><text x="5" y="28" font-size="20">servesim</text></svg>';
    expect(svgToPng(textOnly).length).toBeGreaterThan(svgToPng(withoutText(textOnly)).length + 300);
  });

  it('keeps a font and background the spec sets itself', async () => {
    const svg = await chartToSvg({ ...lineChart, background: '#eeeeee', config: { font: 'serif' } });
    expect(svg).toContain('font-family="serif"');
    expect(svg).not.toContain('DejaVu Sans');
    expect(svg).toContain('#eeeeee');
  });

});
