import type { TensorInput } from '../../src/transports/worker/client.ts';

export interface TensorMeta {
  name: string;
  datatype: string;
  shape: number[];
}

/**
 * Deterministic inputs for a model's metadata (variable dimensions become 1), so the page and
 * the tests can send the same request to the browser worker and to a Node server.
 */
export function exampleInputs(inputs: TensorMeta[]): TensorInput[] {
  return inputs.map((t, k) => {
    const shape = t.shape.map((d) => (d < 0 ? 1 : d));
    const n = shape.reduce((a, b) => a * b, 1);
    return { name: t.name, datatype: t.datatype, shape, data: Array.from({ length: n }, (_, i) => value(t.datatype, i, k)) };
  });
}

function value(datatype: string, i: number, k: number): number | string | boolean {
  if (datatype === 'BYTES') return String(i + k);
  if (datatype === 'BOOL') return (i + k) % 2 === 0;
  if (datatype.startsWith('FP') || datatype === 'BF16') return ((i * 7 + k * 3) % 11) / 4 - 1;
  return (i + k) % 8;
}
