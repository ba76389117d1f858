/**
 * Both file formats store elements little-endian; typed arrays use the machine's order.
 * Every platform Node.js ships for is little-endian except s390x, where these helpers
 * swap, so the hot path elsewhere is a plain view on the typed array's memory.
 */

/** Whether typed arrays on this machine are little-endian. */
export const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the bytes of each `itemSize`-byte element in place. */
export function swapBytes(bytes: Uint8Array, itemSize: number): void {
  if (itemSize === 1) return;
  for (let i = 0; i + itemSize <= bytes.length; i += itemSize) {
    for (let a = i, b = i + itemSize - 1; a < b; a++, b--) {
      const t = bytes[a] as number;
      bytes[a] = bytes[b] as number;
      bytes[b] = t;
    }
  }
}

/** The element bytes of `values` in little-endian order: a view here, a swapped copy on big-endian machines. */
export function littleEndianBytes(values: ArrayBufferView & { BYTES_PER_ELEMENT: number }): Uint8Array {
  const view = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (IS_LITTLE_ENDIAN || values.BYTES_PER_ELEMENT === 1) return view;
  const copy = view.slice();
  swapBytes(copy, values.BYTES_PER_ELEMENT);
  return copy;
}

/** Turns little-endian element bytes just read into `bytes` into the machine's order, in place. */
export function fromLittleEndian(bytes: Uint8Array, itemSize: number): void {
  if (!IS_LITTLE_ENDIAN) swapBytes(bytes, itemSize);
}
