/**
 * Redis's geohash arithmetic (src/util/geohash.ts) and number formatting
 * (src/util/printf-fixed.ts). Expected values were read from redis-server
 * 7.0.15 (GEOADD then ZSCORE / GEOPOS / GEOHASH / GEODIST); the differential
 * test (test/differential/geo.diff.test.ts) covers the rest.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeScore,
  estimateSteps,
  geoDistance,
  geoScore,
  geoScoreString,
  geohashString,
  pqsort,
  searchRanges,
  validLonLat,
} from '../../src/util/geohash.js';
import { formatFixed, formatFixedPoint, formatHuman17 } from '../../src/util/printf-fixed.js';
import { Rng, seedsFromEnv } from '../helpers/rng.js';

const pos = (score: number): [string, string] => {
  const xy = [0, 0];
  decodeScore(score, xy);
  return [formatHuman17(xy[0]!), formatHuman17(xy[1]!)];
};

describe('geohash encode / decode', () => {
  it('gives the scores Redis gives', () => {
    expect(geoScoreString(13.361389, 38.115556)).toBe('3479099956230698');
    expect(geoScoreString(15.087269, 37.502669)).toBe('3479447370796909');
    expect(geoScoreString(-180, -85.05112878)).toBe('0');
    // Longitude 180 and the latitude limit set bits 53 and 52: past 2^53, exact as a string.
    expect(geoScoreString(180, 85.05112878)).toBe('13510798882111488');
    expect(geoScore(180, 85.05112878)).toBe(13510798882111488);
  });

  it('decodes to the centre of the cell, clamped', () => {
    expect(pos(3479099956230698)).toEqual(['13.36138933897018433', '38.11555639549629859']);
    expect(pos(3479447370796909)).toEqual(['15.08726745843887329', '37.50266842333162032']);
    expect(pos(13510798882111488)).toEqual(['180', '85.0511287799999991']);
    expect(pos(0)).toEqual(['-179.99999731779098511', '-85.05112751263942528']);
  });

  it('checks the indexable square', () => {
    expect(validLonLat(180, 85.05112878)).toBe(true);
    expect(validLonLat(-180, -85.05112878)).toBe(true);
    expect(validLonLat(180.0000001, 0)).toBe(false);
    expect(validLonLat(0, -85.05112879)).toBe(false);
    expect(validLonLat(0, Infinity)).toBe(false);
  });

  it('writes standard geohash strings', () => {
    expect(geohashString(3479099956230698)).toBe('sqc8b49rny0');
    expect(geohashString(13510798882111488)).toBe('bp05b5048p0');
    expect(geohashString(0)).toBe('00bh0hbj200');
  });

  it('measures haversine distances', () => {
    const a = [0, 0];
    const b = [0, 0];
    decodeScore(3479099956230698, a);
    decodeScore(3479447370796909, b);
    expect(formatFixedPoint(geoDistance(a[0]!, a[1]!, b[0]!, b[1]!), 4)).toBe('166274.1516');
    expect(geoDistance(10, 20, 10, 20)).toBe(0);
  });

  it('estimates the search step from the radius', () => {
    expect(estimateSteps(0, 0)).toBe(26);
    expect(estimateSteps(1, 0)).toBe(24);
    expect(estimateSteps(1, 70)).toBe(23);
    expect(estimateSteps(1, -85)).toBe(22);
    expect(estimateSteps(5e6, 0)).toBe(2);
    expect(estimateSteps(1.5e7, 0)).toBe(1);
    expect(estimateSteps(Infinity, 0)).toBe(1);
  });

  it('searches the centre cell first, with half-open score ranges', () => {
    const r = searchRanges({ box: false, lon: 13.361389, lat: 38.115556, radius: 200, width: 0, height: 0, conversion: 1000 });
    expect(r.length % 2).toBe(0);
    expect(r.length).toBeGreaterThanOrEqual(2);
    const palermo = geoScore(13.361389, 38.115556);
    expect(palermo >= r[0]! && palermo < r[1]!).toBe(true);
    for (let i = 0; i < r.length; i += 2) expect(r[i]!).toBeLessThan(r[i + 1]!);
  });
});

describe('pqsort', () => {
  const byKey = (a: { k: number }, b: { k: number }) => (a.k > b.k ? 1 : a.k === b.k ? 0 : -1);

  it('leaves equal keys where Redis leaves them', () => {
    // A GEOSEARCH ... COUNT 4 over 7 points, three at distance 0 (found by the differential test).
    const a = ['m0', 'm29', 'm8', '\0x', '', 'm24', 'm5'].map((m, i) => ({ m, k: [0, 0, 0, 0.0833, 29.2, 241.5, 241.5][i]! }));
    pqsort(a, byKey, 0, 3);
    expect(a.slice(0, 4).map((p) => p.m)).toEqual(['m0', 'm29', 'm8', '\0x']);
  });

  it('sorts the requested prefix of a permutation', () => {
    for (const seed of seedsFromEnv(20)) {
      const rng = new Rng(seed);
      const n = rng.range(1, 300);
      const a = Array.from({ length: n }, (_, i) => ({ k: rng.int(rng.pick([3, 50, 1000])), i }));
      const want = [...a].sort(byKey).map((p) => p.k);
      const upto = rng.range(0, n - 1);
      pqsort(a, byKey, 0, upto);
      expect(a.map((p) => p.i).sort((x, y) => x - y), `seed ${seed}`).toEqual([...Array(n).keys()]);
      expect(a.slice(0, upto + 1).map((p) => p.k), `seed ${seed}`).toEqual(want.slice(0, upto + 1));
    }
  });
});

describe('printf %.Nf', () => {
  it('rounds exact ties to even, as glibc does', () => {
    expect(formatFixed(0.03125, 4)).toBe('0.0312');
    expect(formatFixed(0.09375, 4)).toBe('0.0938');
    expect(formatFixed(2.5, 0)).toBe('2');
    expect(formatFixed(3.5, 0)).toBe('4');
    expect(formatFixed(1.00005, 4)).toBe('1.0001'); // not a tie: 1.00005 is a little above
  });

  it('prints huge, signed and special values', () => {
    expect(formatFixed(1e300, 6)).toBe('1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.000000');
    expect(formatFixed(200, 6)).toBe('200.000000');
    expect(formatFixed(-0, 4)).toBe('-0.0000');
    expect(formatFixed(Infinity, 6)).toBe('inf');
    expect(formatFixed(-Infinity, 6)).toBe('-inf');
    expect(formatFixed(85.05112879, 6)).toBe('85.051129');
  });

  it("prints distances as Redis's fixedpoint_d2string: scaled, rounded to even, then the digits", () => {
    // From GEODIST on redis-server 7.0.15: printf would say 8385519.4837.
    expect(formatFixedPoint(8385519.4837499996647, 4)).toBe('8385519.4838');
    expect(formatFixed(8385519.4837499996647, 4)).toBe('8385519.4837');
    expect(formatFixedPoint(0, 4)).toBe('0.0000');
    expect(formatFixedPoint(-0, 4)).toBe('0.0000');
    expect(formatFixedPoint(0.00005, 4)).toBe('0.0000'); // 0.5 rounds to even
    expect(formatFixedPoint(0.00015, 4)).toBe('0.0001'); // 1.4999999999999998 after scaling
    expect(formatFixedPoint(0.00025, 4)).toBe('0.0002'); // 2.5 after scaling, to even
    expect(formatFixed(0.00025, 4)).toBe('0.0003'); // printf: a little above the tie
    expect(formatFixedPoint(0.0123, 4)).toBe('0.0123');
    expect(formatFixedPoint(12.5, 4)).toBe('12.5000');
    expect(formatFixedPoint(-1.25, 4)).toBe('-1.2500');
  });

  it('prints coordinates as %.17Lf without trailing zeros', () => {
    expect(formatHuman17(180)).toBe('180');
    expect(formatHuman17(-0)).toBe('0');
    expect(formatHuman17(0.5)).toBe('0.5');
    expect(formatHuman17(-179.99999731779098511)).toBe('-179.99999731779098511');
  });
});
