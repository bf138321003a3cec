/**
 * Database indexes as Redis reads them in SELECT, MOVE, COPY ... DB and
 * SWAPDB (getIntFromObject: a 32-bit integer, then a range check).
 */
import { parseInt64 } from '../util/numbers.js';

/** 'syntax' when the text is not an integer, 'range' when it does not fit 32 bits. */
export function parseDb(s: string): number | 'syntax' | 'range' {
  const v = parseInt64(Buffer.from(s, 'latin1'), 0, Buffer.byteLength(s, 'latin1'));
  if (v === null) return 'syntax';
  if (v < -2147483648n || v > 2147483647n) return 'range';
  return Number(v);
}

/** The error text for a database index that SELECT / COPY ... DB refuse, or null when it is valid. */
export function dbIndexError(d: number | 'syntax' | 'range'): string | null {
  if (d === 'syntax') return 'ERR value is not an integer or out of range';
  if (d === 'range') return 'ERR value is out of range, value must between -2147483648 and 2147483647';
  if (d < 0 || d >= 16) return 'ERR DB index is out of range';
  return null;
}
