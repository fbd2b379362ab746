import type { BenchModel } from './models.ts';
import { type Row, type Scenario, SCENARIO_NAMES } from './results.ts';

const COLORS: Record<Scenario, string> = {
  naive: '#888888',
  json: '#e08a00',
  binary: '#1f77b4',
  batched: '#2ca02c',
  grpc: '#9467bd',
  threads2: '#d62728',
  otherNode: '#8c564b',
};

/** Throughput (x) against p99 latency (y, log scale) per scenario, one panel per model; a hand-made SVG. */
export function renderChart(rows: Row[], models: BenchModel[]): string {
  const W = 420;
  const H = 300;
  const pad = { l: 60, r: 15, t: 30, b: 45 };
  const panels = models.map((m, i) => {
    const mine = rows.filter((r) => r.model === m.id);
    const pts = mine.flatMap((r) => r.cells.map((x) => ({ x: x.throughput, y: Math.max(x.p99Us / 1000, 0.01) })));
    const xmax = Math.max(1, ...pts.map((p) => p.x)) * 1.1;
    const ymin = Math.log10(Math.min(...pts.map((p) => p.y), 1));
    const ymax = Math.log10(Math.max(...pts.map((p) => p.y), 10)) + 0.1;
    const sx = (x: number) => pad.l + (x / xmax) * (W - pad.l - pad.r);
    const sy = (y: number) => H - pad.b - ((Math.log10(y) - ymin) / (ymax - ymin)) * (H - pad.t - pad.b);
    const ox = i * W;
    const lines = mine.map((r) => {
      const d = r.cells.map((x, k) => `${k === 0 ? 'M' : 'L'}${(ox + sx(x.throughput)).toFixed(1)},${sy(Math.max(x.p99Us / 1000, 0.01)).toFixed(1)}`).join(' ');
      const dots = r.cells
        .map(
          (x) =>
            `<circle cx="${(ox + sx(x.throughput)).toFixed(1)}" cy="${sy(Math.max(x.p99Us / 1000, 0.01)).toFixed(1)}" r="3" fill="${COLORS[r.scenario]}"><title>${SCENARIO_NAMES[r.scenario]}, concurrency ${x.level}: ${x.throughput.toFixed(0)} infer/s, p99 ${(x.p99Us / 1000).toFixed(2)} ms</title></circle>`,
        )
        .join('');
      return `<path d="${d}" fill="none" stroke="${COLORS[r.scenario]}" stroke-width="2"/>${dots}`;
    });
    const yTicks: string[] = [];
    for (let e = Math.ceil(ymin); e <= Math.floor(ymax); e++) {
      const y = sy(10 ** e);
      yTicks.push(
        `<line x1="${ox + pad.l}" x2="${ox + W - pad.r}" y1="${y}" y2="${y}" stroke="#eee"/><text x="${ox + pad.l - 6}" y="${y + 4}" text-anchor="end" font-size="11">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(Math.abs(e))} ms</text>`,
      );
    }
    const xTicks = [0, 0.25, 0.5, 0.75, 1].map(
      (f) => `<text x="${ox + sx(f * xmax)}" y="${H - pad.b + 16}" text-anchor="middle" font-size="11">${Math.round(f * xmax)}</text>`,
    );
    return `<g><text x="${ox + W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${m.id}</text>
<rect x="${ox + pad.l}" y="${pad.t}" width="${W - pad.l - pad.r}" height="${H - pad.t - pad.b}" fill="none" stroke="#ccc"/>
${yTicks.join('')}${xTicks.join('')}
<text x="${ox + W / 2}" y="${H - 8}" text-anchor="middle" font-size="11">throughput (infer/s)</text>
${lines.join('\n')}</g>`;
  });
  // Only the scenarios this run measured, two to a legend line.
  const shown = (Object.keys(COLORS) as Scenario[]).filter((s) => rows.some((r) => r.scenario === s));
  const legend = shown.map((s, k) => {
    const x = 10 + (k % 2) * 420;
    const y = H + 8 + Math.floor(k / 2) * 18;
    return `<rect x="${x}" y="${y}" width="12" height="12" fill="${COLORS[s]}"/><text x="${x + 18}" y="${y + 10}" font-size="12">${SCENARIO_NAMES[s]}</text>`;
  });
  const legendH = Math.ceil(shown.length / 2) * 18 + 12;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W * models.length}" height="${H + legendH}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="6" y="${H / 2}" font-size="11" transform="rotate(-90 10 ${H / 2})">p99 latency (log)</text>
${panels.join('\n')}
${legend.join('')}
</svg>
`;
}
