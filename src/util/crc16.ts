/**
 * CRC16 as Redis Cluster uses it to map keys to hash slots: the CCITT
 * polynomial 0x1021, initial value 0, no reflection, no final xor (the
 * variant known as XMODEM). crc16("123456789") = 0x31C3.
 */

const TABLE: Uint16Array = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let k = 0; k < 8; k++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    t[i] = crc;
  }
  return t;
})();

/** CRC16/XMODEM of `len` bytes of `u8` starting at `off`. */
export function crc16(u8: Uint8Array, off: number, len: number): number {
  let crc = 0;
  const end = off + len;
  for (let i = off; i < end; i++) {
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >>> 8) ^ u8[i]!) & 0xff]!;
  }
  return crc;
}

/**
 * The hash slot (0..16383) of a key, with Redis's hash-tag rule: if the key
 * contains a '{' and, after it, a '}', and there is at least one byte between
 * them, only the bytes between the first '{' and the first '}' after it are
 * hashed; otherwise the whole key is hashed.
 */
export function keyHashSlot(u8: Uint8Array, off: number, len: number): number {
  const end = off + len;
  let s = off;
  while (s < end && u8[s] !== 0x7b /* { */) s++;
  if (s === end) return crc16(u8, off, len) & 0x3fff;
  let e = s + 1;
  while (e < end && u8[e] !== 0x7d /* } */) e++;
  if (e === end || e === s + 1) return crc16(u8, off, len) & 0x3fff;
  return crc16(u8, s + 1, e - s - 1) & 0x3fff;
}

/** The shard that owns a slot: slots are dealt to shards in contiguous ranges. */
export function slotOwner(slot: number, shards: number): number {
  return Math.floor((slot * shards) / 16384);
}
