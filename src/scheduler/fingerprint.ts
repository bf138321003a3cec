/**
 * A key's fingerprint: a 53-bit number made of two independent 32-bit
 * hashes of (database, key). Intent locks, WATCH and blocked clients are
 * keyed by it, so checking a frame against them builds no string and costs
 * the same whatever the key's length beyond one pass.
 *
 * Two keys may share a fingerprint (about once in 2^53 pairs). For locks and
 * blocked clients that only makes a frame wait or a waiter retry when it
 * need not; it never lets two conflicting frames run out of order.
 */
import { hashBytes } from 'native-free-arena';

const SEED2 = 0x9e3779b9;

export function fingerprint(db: number, u8: Uint8Array, off: number, len: number): number {
  const hi = hashBytes(u8, off, len, db) >>> 0;
  const lo = hashBytes(u8, off, len, (db ^ SEED2) | 0) & 0x1fffff;
  return hi * 0x200000 + lo;
}
