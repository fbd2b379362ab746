// Nereid's count of tensor bytes copied, read from its Prometheus endpoint.
export const COPIED_METRIC = 'nereid_tensor_bytes_copied_total';

/** The sum of the metric's samples (over any labels), or undefined when the server does not export it. */
export async function readCopiedBytes(metricsUrl: string): Promise<number | undefined> {
  const res = await fetch(metricsUrl);
  if (!res.ok) throw new Error(`GET ${metricsUrl}: HTTP ${res.status}`);
  let sum: number | undefined;
  for (const line of (await res.text()).split('\n')) {
    const m = line.match(/^(\w+)(?:\{[^}]*\})?\s+(\S+)/);
    if (m && m[1] === COPIED_METRIC) sum = (sum ?? 0) + Number(m[2]);
  }
  return sum;
}
