/**
 * A small writer for the Prometheus text exposition format (version 0.0.4): HELP and TYPE lines
 * once per family, then its samples; label values escaped; histograms with cumulative buckets.
 */
export type Labels = Record<string, string>;

export interface HistogramData {
  /** Upper bounds, ascending (the +Inf bucket is added). */
  bounds: readonly number[];
  /** Per-bucket (non-cumulative) counts; one more entry than bounds, for +Inf. */
  counts: readonly number[];
  sum: number;
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class Exposition {
  private readonly lines: string[] = [];

  private header(name: string, type: string, help: string): void {
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  }

  counter(name: string, help: string, samples: readonly { labels: Labels; value: number }[]): this {
    return this.simple(name, 'counter', help, samples);
  }

  gauge(name: string, help: string, samples: readonly { labels: Labels; value: number }[]): this {
    return this.simple(name, 'gauge', help, samples);
  }

  histogram(name: string, help: string, samples: readonly { labels: Labels; data: HistogramData }[]): this {
    if (samples.length === 0) return this;
    this.header(name, 'histogram', help);
    for (const { labels, data } of samples) {
      let cumulative = 0;
      data.bounds.forEach((b, i) => {
        cumulative += data.counts[i] ?? 0;
        this.lines.push(`${name}_bucket${labelText(labels, ['le', num(b)])} ${cumulative}`);
      });
      cumulative += data.counts[data.bounds.length] ?? 0;
      this.lines.push(`${name}_bucket${labelText(labels, ['le', '+Inf'])} ${cumulative}`);
      this.lines.push(`${name}_sum${labelText(labels)} ${num(data.sum)}`);
      this.lines.push(`${name}_count${labelText(labels)} ${cumulative}`);
    }
    return this;
  }

  private simple(name: string, type: string, help: string, samples: readonly { labels: Labels; value: number }[]): this {
    if (samples.length === 0) return this;
    this.header(name, type, help);
    for (const s of samples) this.lines.push(`${name}${labelText(s.labels)} ${num(s.value)}`);
    return this;
  }

  toString(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }
}
