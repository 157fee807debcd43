// CRC-32 (IEEE 802.3, as zlib computes it). zlib.crc32 is native from Node 20.15; older runtimes
// get the table-driven version below.
import zlib from 'node:zlib';

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

const TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

export function crc32Portable(buf: Uint8Array, start = 0, end = buf.length, crc = 0): number {
  let c = ~crc;
  for (let i = start; i < end; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32 of buf[start, end), continuing from `crc` (pass the previous result to chain ranges). */
export function crc32(buf: Uint8Array, start = 0, end = buf.length, crc = 0): number {
  if (native && end > start) return native(buf.subarray(start, end), crc) >>> 0;
  return crc32Portable(buf, start, end, crc);
}
