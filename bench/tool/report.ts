// The benchmark tool's outputs: the terminal table, a self-contained HTML report (inline SVG, no scripts, no
// external files: it opens offline) with a roofline plot holding every case and per-case bars per variant,
// and the comparison of two runs with each change's noise band.
import type { CaseResult, RunResult } from './run.ts';

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function columns(lines: string[][]): string {
  const widths = lines[0].map((_, j) => Math.max(...lines.map((l) => l[j].length)));
  return lines.map((l) => l.map((s, j) => s.padEnd(widths[j])).join('  ').trimEnd()).join('\n');
}

export function formatResultTable(run: RunResult): string {
  const head = ['case', 'variant', 'median ms', 'min', 'max', 'time', 'reps', 'GFLOP/s', '% FMA peak', 'GB/s', '% copy BW'];
  const rows = run.results.map((r) => [
    r.name,
    r.variant,
    r.ms.toFixed(2),
    (r.gpuMs ?? r.wallMs).min.toFixed(2),
    (r.gpuMs ?? r.wallMs).max.toFixed(2),
    r.timeSource,
    String(r.reps),
    r.gflops.toFixed(2),
    (100 * r.ofPeak).toFixed(1),
    r.gbps.toFixed(2),
    (100 * r.ofBandwidth).toFixed(1),
  ]);
  return columns([head, ...rows]);
}

/** Positions on a log axis from `lo` to `hi` (decades rounded outwards) over `px` pixels. */
function logAxis(lo: number, hi: number, px: number) {
  const a = Math.floor(Math.log10(lo));
  const b = Math.max(a + 1, Math.ceil(Math.log10(hi)));
  return { decades: Array.from({ length: b - a + 1 }, (_, i) => 10 ** (a + i)), at: (v: number) => ((Math.log10(v) - a) / (b - a)) * px };
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** The roofline: GFLOP/s over arithmetic intensity (FLOP/byte, log–log), the roof min(peak, bandwidth · I),
 *  one circle per case result, coloured by variant. */
export function rooflineSvg(run: RunResult): string {
  const W = 640, H = 400, L = 60, B = 40, R = 30;
  const { fmaGflops: peak, copyGBps: bw } = run.roofline;
  const intensity = (r: CaseResult) => r.flop / r.bytes;
  const is = run.results.map(intensity);
  const x = logAxis(Math.min(0.1, ...is) / 2, Math.max(peak / bw, ...is) * 4, W - L - R);
  const y = logAxis(Math.min(...run.results.map((r) => r.gflops), bw * 0.05) / 2, peak * 2, H - B - 10);
  const X = (v: number) => L + x.at(v);
  const Y = (v: number) => H - B - y.at(v);
  const variants = [...new Set(run.results.map((r) => r.variant.split(' ')[0]))];
  const colour = (v: string) => PALETTE[variants.indexOf(v.split(' ')[0]) % PALETTE.length];
  const [i0, i1] = [x.decades[0], x.decades[x.decades.length - 1]];
  const ridge = peak / bw;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" class="roofline">`,
    `<rect x="${L}" y="10" width="${W - L - R}" height="${H - B - 10}" fill="none" stroke="#999"/>`,
    ...x.decades.map((d) => `<text x="${X(d).toFixed(1)}" y="${H - B + 16}" font-size="11" text-anchor="middle">${d}</text>`),
    ...y.decades.map((d) => `<text x="${L - 4}" y="${(Y(d) + 4).toFixed(1)}" font-size="11" text-anchor="end">${d}</text>`),
    `<text x="${L + (W - L) / 2}" y="${H - 6}" font-size="12" text-anchor="middle">arithmetic intensity (FLOP/byte, compulsory bytes)</text>`,
    `<text x="14" y="${H / 2}" font-size="12" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">GFLOP/s</text>`,
    `<polyline class="roof" fill="none" stroke="#000" stroke-width="1.5" points="${X(i0).toFixed(1)},${Y(bw * i0).toFixed(1)} ${X(ridge).toFixed(1)},${Y(peak).toFixed(1)} ${X(i1).toFixed(1)},${Y(peak).toFixed(1)}"/>`,
    `<text x="${(X(i1) - 4).toFixed(1)}" y="${(Y(peak) - 4).toFixed(1)}" font-size="11" text-anchor="end">FMA peak ${peak.toFixed(1)} GFLOP/s; copy ${bw.toFixed(2)} GB/s</text>`,
    ...run.results.map(
      (r) => `<circle class="case" cx="${X(intensity(r)).toFixed(1)}" cy="${Y(r.gflops).toFixed(1)}" r="4" fill="${colour(r.variant)}" fill-opacity="0.75"><title>${escape(`${r.name} — ${r.variant}: ${r.gflops.toFixed(2)} GFLOP/s, ${(100 * r.ofPeak).toFixed(1)} % of peak`)}</title></circle>`,
    ),
    ...variants.map((v, i) => `<g><circle cx="${L + 12}" cy="${22 + 14 * i}" r="4" fill="${colour(v)}"/><text x="${L + 20}" y="${26 + 14 * i}" font-size="11">${escape(v)}</text></g>`),
    '</svg>',
  ];
  return parts.join('\n');
}

/** Horizontal bars, one per row: a label, a value (the bar's length, relative to the largest) and its text. */
export function barsSvg(rows: readonly { label: string; value: number; text: string }[]): string {
  const W = 640, row = 18, L = 250;
  const max = Math.max(...rows.map((r) => r.value));
  const H = rows.length * row + 10;
  const bars = rows.map((r, i) => {
    const w = ((W - L - 170) * r.value) / max;
    const y = 5 + i * row;
    return `<text x="${L - 6}" y="${y + 12}" font-size="11" text-anchor="end">${escape(r.label)}</text><rect class="bar" x="${L}" y="${y}" width="${w.toFixed(1)}" height="${row - 4}" fill="#1f77b4"/><text x="${(L + w + 4).toFixed(1)}" y="${y + 12}" font-size="11">${escape(r.text)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${bars.join('')}</svg>`;
}

/** The bars of one case: GFLOP/s per variant, labelled with % of the FMA peak. */
export const caseBarsSvg = (rows: readonly CaseResult[]) =>
  barsSvg(rows.map((r) => ({ label: r.variant, value: r.gflops, text: `${r.gflops.toFixed(2)} GFLOP/s (${(100 * r.ofPeak).toFixed(1)} %)` })));

/** The page frame every report shares: title, style, body. */
export const page = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}code{background:#f4f4f4}</style>
</head><body>
<h1>${escape(title)}</h1>
${body}
</body></html>
`;

export { escape as escapeHtml };

export function htmlReport(run: RunResult, command: string): string {
  const cases = [...new Set(run.results.map((r) => r.name))];
  const rows = run.results
    .map((r) => `<tr><td>${escape(r.name)}</td><td>${escape(r.variant)}</td><td>${r.ms.toFixed(2)}</td><td>${(r.gpuMs ?? r.wallMs).min.toFixed(2)}–${(r.gpuMs ?? r.wallMs).max.toFixed(2)}</td><td>${r.timeSource}</td><td>${r.reps}</td><td>${r.gflops.toFixed(2)}</td><td>${(100 * r.ofPeak).toFixed(1)}</td><td>${r.gbps.toFixed(2)}</td></tr>`)
    .join('\n');
  const skipped = run.skipped.map((s) => `<li>${escape(`${s.case} — ${s.variant}: ${s.reason}`)}</li>`).join('\n');
  return page('stylegpu kernel benchmark', `<p><code>${escape(command)}</code></p>
<p>${escape(run.host)} — ${escape(run.adapter)}; kernel profile '${escape(run.profile)}'; ${escape(run.timestamps)}.<br>
Roofline: FMA peak ${run.roofline.fmaGflops.toFixed(1)} GFLOP/s (bench/fma-peak.wgsl), copy bandwidth ${run.roofline.copyGBps.toFixed(2)} GB/s (buffer-to-buffer, read + write).
Budget ${run.settings.budgetMs} ms per variant after ${run.settings.warmup} warm-up call(s), at least ${run.settings.minReps} repetitions.</p>
<h2>Roofline</h2>
${rooflineSvg(run)}
<h2>Per case</h2>
${cases.map((c) => `<h3>${escape(c)}</h3>\n${caseBarsSvg(run.results.filter((r) => r.name === c))}`).join('\n')}
<h2>Figures</h2>
<table><tr><th>case</th><th>variant</th><th>median ms</th><th>min–max</th><th>time</th><th>reps</th><th>GFLOP/s</th><th>% peak</th><th>GB/s</th></tr>
${rows}
</table>
${skipped ? `<h2>Variants that do not fit</h2><ul>${skipped}</ul>` : ''}`);
}

export interface Change {
  name: string;
  variant: string;
  beforeMs: number;
  afterMs: number;
  /** after / before − 1 of the medians. */
  change: number;
  /** The change two runs' own spread allows: the larger relative half-width (max − min)/2 ÷ median of the two. */
  noise: number;
  verdict: 'faster' | 'slower' | 'within noise';
}

/** The cases and variants two runs share, with the change of the median time and its noise band. */
export function compareRuns(before: RunResult, after: RunResult): { changes: Change[]; onlyBefore: string[]; onlyAfter: string[] } {
  const key = (r: CaseResult) => `${r.name} | ${r.variant}`;
  const spread = (r: CaseResult) => {
    const s = r.gpuMs ?? r.wallMs;
    return (s.max - s.min) / 2 / s.median;
  };
  const b = new Map(before.results.map((r) => [key(r), r]));
  const a = new Map(after.results.map((r) => [key(r), r]));
  const changes: Change[] = [];
  for (const [k, rb] of b) {
    const ra = a.get(k);
    if (!ra) continue;
    const change = ra.ms / rb.ms - 1;
    const noise = Math.max(spread(rb), spread(ra));
    changes.push({ name: rb.name, variant: rb.variant, beforeMs: rb.ms, afterMs: ra.ms, change, noise, verdict: Math.abs(change) <= noise ? 'within noise' : change < 0 ? 'faster' : 'slower' });
  }
  return { changes, onlyBefore: [...b.keys()].filter((k) => !a.has(k)), onlyAfter: [...a.keys()].filter((k) => !b.has(k)) };
}

export function formatComparison(c: ReturnType<typeof compareRuns>): string {
  const pct = (v: number) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)} %`;
  const lines = [['case', 'variant', 'before ms', 'after ms', 'change', 'noise ±', 'verdict']];
  for (const ch of c.changes) lines.push([ch.name, ch.variant, ch.beforeMs.toFixed(2), ch.afterMs.toFixed(2), pct(ch.change), `${(100 * ch.noise).toFixed(1)} %`, ch.verdict]);
  let out = columns(lines);
  if (c.onlyBefore.length) out += `\nonly in the first run: ${c.onlyBefore.join('; ')}`;
  if (c.onlyAfter.length) out += `\nonly in the second run: ${c.onlyAfter.join('; ')}`;
  return out;
}
