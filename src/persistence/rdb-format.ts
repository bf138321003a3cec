/**
 * The numbers of the RDB format (Redis's rdb.h): value types, opcodes, and
 * the length encoding that prefixes every string and count.
 *
 * Length encoding, by the top two bits of the first byte:
 *   00xxxxxx                  6-bit length
 *   01xxxxxx yyyyyyyy         14-bit length (big-endian)
 *   10000000 + 4 bytes        32-bit length (big-endian)
 *   10000001 + 8 bytes        64-bit length (big-endian)
 *   11xxxxxx                  a specially encoded string follows:
 *                             0 int8, 1 int16, 2 int32 (little-endian), 3 LZF
 */

export const RDB_VERSION = 10;
/** The newest version the reader accepts (Redis 7.4's, which added hashes with field TTLs). */
export const RDB_MAX_READ_VERSION = 12;

// Value types.
export const TYPE_STRING = 0;
export const TYPE_LIST = 1;
export const TYPE_SET = 2;
export const TYPE_ZSET = 3;
export const TYPE_HASH = 4;
export const TYPE_ZSET_2 = 5;
export const TYPE_MODULE = 6;
export const TYPE_MODULE_2 = 7;
export const TYPE_HASH_ZIPMAP = 9;
export const TYPE_LIST_ZIPLIST = 10;
export const TYPE_SET_INTSET = 11;
export const TYPE_ZSET_ZIPLIST = 12;
export const TYPE_HASH_ZIPLIST = 13;
export const TYPE_LIST_QUICKLIST = 14;
export const TYPE_STREAM_LISTPACKS = 15;
export const TYPE_HASH_LISTPACK = 16;
export const TYPE_ZSET_LISTPACK = 17;
export const TYPE_LIST_QUICKLIST_2 = 18;
export const TYPE_STREAM_LISTPACKS_2 = 19;
export const TYPE_SET_LISTPACK = 20;
export const TYPE_STREAM_LISTPACKS_3 = 21;
/** Redis 7.4's hashes with field TTLs: u64 min expire-at, then fields with relative TTLs. */
export const TYPE_HASH_METADATA = 24;
/** The same as a listpack of (field, value, expire-at) triplets. */
export const TYPE_HASH_LISTPACK_EX = 25;

// Opcodes: bytes where a type byte may stand that are not value types.
export const OP_FUNCTION2 = 245;
export const OP_FUNCTION = 246;
export const OP_MODULE_AUX = 247;
export const OP_IDLE = 248;
export const OP_FREQ = 249;
export const OP_AUX = 250;
export const OP_RESIZEDB = 251;
export const OP_EXPIRETIME_MS = 252;
export const OP_EXPIRETIME = 253;
export const OP_SELECTDB = 254;
export const OP_EOF = 255;

// Length encoding.
export const LEN_6BIT = 0;
export const LEN_14BIT = 1;
export const LEN_32BIT = 0x80;
export const LEN_64BIT = 0x81;
export const LEN_ENCVAL = 3;
export const ENC_INT8 = 0;
export const ENC_INT16 = 1;
export const ENC_INT32 = 2;
export const ENC_LZF = 3;

// Quicklist 2 node containers.
export const QUICKLIST_NODE_PLAIN = 1;
export const QUICKLIST_NODE_PACKED = 2;

/** Bytes that writeLength() takes for n. */
export function lengthSize(n: number): number {
  return n < 64 ? 1 : n < 16384 ? 2 : n <= 0xffffffff ? 5 : 9;
}

/** Writes n (a non-negative safe integer) length-encoded at dst[off]; returns the bytes written. */
export function writeLength(dst: Uint8Array, off: number, n: number): number {
  if (n < 64) {
    dst[off] = n;
    return 1;
  }
  if (n < 16384) {
    dst[off] = 0x40 | (n >>> 8);
    dst[off + 1] = n & 0xff;
    return 2;
  }
  if (n <= 0xffffffff) {
    dst[off] = LEN_32BIT;
    writeU32BE(dst, off + 1, n);
    return 5;
  }
  dst[off] = LEN_64BIT;
  writeU32BE(dst, off + 1, Math.floor(n / 0x100000000));
  writeU32BE(dst, off + 5, n >>> 0);
  return 9;
}

function writeU32BE(dst: Uint8Array, off: number, v: number): void {
  dst[off] = v >>> 24;
  dst[off + 1] = v >>> 16;
  dst[off + 2] = v >>> 8;
  dst[off + 3] = v;
}
