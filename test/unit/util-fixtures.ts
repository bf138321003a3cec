/**
 * Loader for fixtures/util-redis70.json: answers recorded from a real
 * redis-server 7.0.15 by fixtures/gen-util-fixtures.mjs. Binary strings are
 * latin1 JSON strings (one char per byte).
 */
import { readFileSync } from 'node:fs';

export interface UtilFixtures {
  redisVersion: string;
  glob: { keys: string[]; cases: Array<[string, number[]]> };
  globNocase: { names: string[]; cases: Array<[string, string[]]> };
  keyslot: Array<[string, number]>;
  format17g: { cases: Array<[string, string]> };
  parseDouble: { cases: Array<[string, string | null]> };
  parseDoubleLoose: { cases: Array<[string, boolean]> };
  parseInt64: { cases: Array<[string, string | null]> };
  incrbyfloat: { cases: Array<[string | null, string, string]>; chain01: string[] };
  lcs: { cases: Array<[string, string, number, string, unknown]> };
}

export const fixtures: UtilFixtures = JSON.parse(
  readFileSync(new URL('./fixtures/util-redis70.json', import.meta.url), 'utf8'),
) as UtilFixtures;

/** latin1 string → bytes (one byte per char). */
export function L(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}
