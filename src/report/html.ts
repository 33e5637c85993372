import { writeFileAtomic } from '../io/atomic-file.js';
import type { Table } from './csv-table.js';

/** A self-contained HTML report: a title, notes, tables and inline SVG figures. */
export interface ReportSection {
  heading: string;
  /** Paragraphs of plain text (escaped). */
  text?: string[];
  table?: Table;
  /** SVG markup, inlined. */
  svg?: string;
}

/** Where a report came from (experiment/provenance.ts makes it): shown at its foot. */
export interface ReportProvenance {
  servesim: string;
  commit: string | null;
  command: string[];
  specSha256?: string;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function footer(p: ReportProvenance): string {
  const parts = [`servesim ${p.servesim}`, `commit ${p.commit ?? 'unknown'}`, `command: servesim ${p.command.join(' ')}`, ...(p.specSha256 === undefined ? [] : [`specs sha256 ${p.specSha256}`])];
  return `<footer><p><small>${parts.map(escape).join(' · ')}</small></p></footer>`;
}

export function htmlReport(title: string, sections: ReportSection[], provenance?: ReportProvenance): string {
  const body = sections
    .map((s) => {
      const parts = [`<h2>${escape(s.heading)}</h2>`];
      for (const p of s.text ?? []) parts.push(`<p>${escape(p)}</p>`);
      if (s.table) {
        const head = s.table.header.map((h) => `<th>${escape(h)}</th>`).join('');
        const rows = s.table.rows.map((r) => `<tr>${r.map((c) => `<td>${escape(String(c))}</td>`).join('')}</tr>`).join('\n');
        parts.push(`<table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`);
      }
      if (s.svg) parts.push(`<figure>${s.svg}</figure>`);
      return `<section>${parts.join('\n')}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
body { font-family: 'DejaVu Sans', system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; font-size: 0.9em; } th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; } figure { margin: 1em 0; overflow-x: auto; }
</style></head>
<body><h1>${escape(title)}</h1>
${body}
${provenance === undefined ? '' : footer(provenance)}
</body></html>
`;
}

export function writeHtmlReport(path: string, title: string, sections: ReportSection[], provenance?: ReportProvenance): void {
  writeFileAtomic(path, htmlReport(title, sections, provenance));
}
