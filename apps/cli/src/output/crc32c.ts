/**
 * CRC-32C (Castagnoli), the checksum of TFRecord framing, and TensorFlow's masking of
 * it (`masked = rotr(crc, 15) + 0xa282ead8`), which keeps CRCs of data that itself
 * contains CRCs from being degenerate.
 */

/** The reflected Castagnoli polynomial. */
const CASTAGNOLI = 0x82f63b78;
/** TensorFlow's mask delta (tensorflow/core/lib/hash/crc32c.h). */
const MASK_DELTA = 0xa282ead8;

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CASTAGNOLI : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C of `bytes`. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = (TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** TensorFlow's masked CRC-32C. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}
