/**
 * The differential generators' comparators for random replies: a correct
 * reply must pass them, whatever the seed (a comparator that rejects one
 * makes the differential test fail at random).
 */
import { describe, expect, it } from 'vitest';
import { HashesGen } from '../differential/hashes-gen.js';
import { Rng } from '../helpers/rng.js';

function bulks(items: string[]): Buffer {
  return Buffer.from(`*${items.length}\r\n` + items.map((s) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`).join(''));
}

describe('HRANDFIELD comparator (hashes-gen.ts)', () => {
  // Seed 937184682 made the generator add WITHVALUES as a stray extra
  // argument to "HRANDFIELD hb 214", while its comparator still took every
  // item for a field: values that repeat looked like repeated fields.
  it('accepts distinct fields with repeated values for every positive-count HRANDFIELD the generator sends', () => {
    let checked = 0;
    let stray = 0; // the command of seed 937184682
    for (const seed of [937184682, 1, 2]) {
      const gen = new HashesGen(new Rng(seed));
      for (const c of gen.sequence(1500, [512, 64])) {
        const args = c.args.map(String);
        if (args[0]!.toUpperCase() !== 'HRANDFIELD' || args.length < 3 || !c.compare) continue;
        const count = Number(args[2]);
        if (!/^[0-9]+$/.test(args[2]!) || count < 2 || count > 1000 || args.length > 4 || (args.length === 4 && args[3]!.toUpperCase() !== 'WITHVALUES')) continue;
        const wv = args.length === 4;
        const reply = (prefix: string) => bulks(Array.from({ length: count }, (_, i) => (wv ? [`${prefix}${i}`, 'same'] : [`${prefix}${i}`])).flat());
        expect(c.compare(reply('a'), reply('b')), args.join(' ')).toBe(true);
        // And a repeated field is still caught.
        const dup = bulks(Array.from({ length: count }, () => (wv ? ['x', 'same'] : ['x'])).flat());
        expect(c.compare(reply('a'), dup), args.join(' ')).toBe(false);
        checked++;
        if (seed === 937184682 && args.join(' ') === 'HRANDFIELD hb 214 WITHVALUES') stray++;
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(stray).toBeGreaterThan(0);
  });
});
