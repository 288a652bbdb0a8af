/** Splits messages so one produce request stays under the broker's size limit (a re-produced batch can exceed it). */
export function chunksBySize<M extends { key: string; value: Buffer }>(messages: M[], maxBytes: number): M[][] {
  const chunks: M[][] = [];
  let current: M[] = [];
  let size = 0;
  for (const m of messages) {
    const bytes = m.value.length + m.key.length + 64;
    if (current.length && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(m);
    size += bytes;
  }
  if (current.length) chunks.push(current);
  return chunks;
}
