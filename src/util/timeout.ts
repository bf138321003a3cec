/**
 * A blocking command's timeout in seconds, as Redis reads it: a long
 * double, times 1000, cast to a 64-bit integer of milliseconds. The cast
 * turns huge and infinite values into INT64_MIN, hence "negative"; a
 * deadline past INT64_MAX ms is "out of range".
 */
import { ldParse, ldToNumber } from './longdouble.js';

/** Milliseconds (0: forever), or Redis's error text. `now` is the command's time (ms). */
export function parseBlockingTimeout(u8: Uint8Array, off: number, len: number, now: number): number | string {
  const v = ldParse(u8, off, len);
  if (v === null) return 'ERR timeout is not a float or out of range';
  const ms = Math.trunc(ldToNumber(v) * 1000);
  if (!Number.isFinite(ms) || ms < 0 || ms >= 2 ** 63) return 'ERR timeout is negative';
  if (ms > 0 && ms > 2 ** 63 - 1 - now) return 'ERR timeout is out of range';
  return ms;
}
