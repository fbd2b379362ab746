import { expect } from 'vitest';

/** One sample of a Prometheus text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parses Prometheus text exposition (format 0.0.4) and asserts its rules as it goes: HELP and
 * TYPE once per family and before its samples, valid names, escaped label values, a final
 * newline, histogram buckets cumulative with ascending `le`, the +Inf bucket equal to `_count`.
 * Written for the tests from the format's rules, independently of the server's writer.
 */
export function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const samples: Sample[] = [];
  expect(text.endsWith('\n'), 'exposition ends with a newline').toBe(true);
  for (const line of text.trimEnd().split('\n')) {
    const meta = line.match(/^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/);
    if (meta) {
      const [, kind, family, rest] = meta as unknown as [string, string, string, string];
      if (kind === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(rest);
        expect(types.has(family), `duplicate TYPE for ${family}`).toBe(false);
        expect(
          samples.some((s) => s.name === family || s.name.startsWith(`${family}_`)),
          `TYPE after samples of ${family}`,
        ).toBe(false);
        types.set(family, rest);
      } else {
        expect(helped.has(family), `duplicate HELP for ${family}`).toBe(false);
        helped.add(family);
      }
      continue;
    }
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? (\S+)$/);
    expect(m, `bad sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const l of (m![2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      expect(labels[l[1]!], `label ${l[1]} twice in ${line}`).toBeUndefined();
      labels[l[1]!] = l[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const name = m![1]!;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    expect(types.has(family), `sample before its TYPE: ${name}`).toBe(true);
    if (family !== name) expect(types.get(family), `${name} needs a histogram family`).toBe('histogram');
    const raw = m![3]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    expect(raw === 'NaN' || !Number.isNaN(value), `bad value in ${line}`).toBe(true);
    samples.push({ name, labels, value });
  }
  for (const t of types.keys()) expect(helped.has(t), `no HELP for ${t}`).toBe(true);
  for (const [family, type] of types) if (type === 'histogram') checkHistogram(family, samples);
  return { samples, types };
}

const seriesKey = (labels: Record<string, string>) =>
  JSON.stringify(
    Object.entries(labels)
      .filter(([k]) => k !== 'le')
      .sort(),
  );

function checkHistogram(family: string, samples: Sample[]): void {
  const buckets = new Map<string, Sample[]>();
  for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
    const k = seriesKey(s.labels);
    buckets.set(k, [...(buckets.get(k) ?? []), s]);
  }
  for (const [k, bs] of buckets) {
    const les = bs.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)));
    expect(les[les.length - 1], `${family} ends with +Inf`).toBe(Infinity);
    for (let i = 1; i < bs.length; i++) {
      expect(les[i]! > les[i - 1]!, `${family} le ascending`).toBe(true);
      expect(bs[i]!.value >= bs[i - 1]!.value, `${family} buckets cumulative`).toBe(true);
    }
    const count = samples.find((s) => s.name === `${family}_count` && seriesKey(s.labels) === k);
    expect(count?.value, `${family}_count equals the +Inf bucket`).toBe(bs[bs.length - 1]!.value);
    expect(
      samples.some((s) => s.name === `${family}_sum` && seriesKey(s.labels) === k),
      `${family}_sum present`,
    ).toBe(true);
  }
}

/** The value of the one sample named `name` whose labels include `labels`; undefined when there is none. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  expect(hits.length, `${name} ${JSON.stringify(labels)} matches at most one sample`).toBeLessThanOrEqual(1);
  return hits[0]?.value;
}
