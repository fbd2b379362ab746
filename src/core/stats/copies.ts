/**
 * Bytes of tensor data copied on the request path, for `nereid_tensor_bytes_copied_total` and the
 * benchmark: every place that copies tensor bytes (reading a body, aligning a section, merging a
 * batch, handing inputs to a session thread, onnxruntime's output copy, joining response parts)
 * adds what it copied. One add per copy: costs nothing next to the copy itself.
 */
export const tensorCopies: { bytes: number } = { bytes: 0 };

export function countCopied(bytes: number): void {
  tensorCopies.bytes += bytes;
}
