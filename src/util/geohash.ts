/**
 * Redis's geohash arithmetic (geohash.c, geohash_helper.c), step for step so
 * that positions, distances and the areas a search visits come out to the
 * same bits: a position is a 52-bit interleaved geohash (latitude in the even
 * bits, longitude in the odd ones, 26 bits each) used as a sorted-set score.
 * Latitudes are limited to ±85.05112878 (the Web Mercator square); GEOHASH
 * strings re-encode over the standard ±90.
 *
 * Hashes are 64-bit in Redis. Hot paths (GEOADD, decoding each candidate of
 * a search) keep them as two uint32 halves; the nine-box search, run once
 * per query, uses BigInt.
 */

export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_STEP_MAX = 26;
/** Earth's quadratic mean radius for WGS-84, as Redis uses it. */
export const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180.0;

const TWO32 = 4294967296;

function degRad(ang: number): number {
  return ang * D_R;
}
function radDeg(ang: number): number {
  return ang / D_R;
}

// ---- interleaving ------------------------------------------------------------------------------

/** The 16 low bits of x spread to the even bits of a 32-bit word. */
function spread16(x: number): number {
  x &= 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x;
}

/** The even bits of a 32-bit word gathered into 16 bits. */
function compact16(x: number): number {
  x &= 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

/** Redis's interleave64(lat, lon) as uint32 halves: lat in the even bits, lon in the odd ones. */
let outHi = 0;
let outLo = 0;
function interleave(lat: number, lon: number): void {
  outLo = (spread16(lat) | (spread16(lon) << 1)) >>> 0;
  outHi = (spread16(lat >>> 16) | (spread16(lon >>> 16) << 1)) >>> 0;
}

/** C's (uint32_t) of a non-negative double below 2^32 (truncation). */
function toU32(d: number): number {
  return Math.trunc(d) >>> 0;
}

// ---- encode / decode ---------------------------------------------------------------------------

/**
 * geohashEncode over [lonMin, lonMax] × [latMin, latMax] at `step` bits per
 * coordinate, as uint32 halves (outHi, outLo); false when out of range.
 */
function encode(lon: number, lat: number, lonMin: number, lonMax: number, latMin: number, latMax: number, step: number): boolean {
  if (lon > GEO_LONG_MAX || lon < GEO_LONG_MIN || lat > GEO_LAT_MAX || lat < GEO_LAT_MIN) return false;
  if (lat < latMin || lat > latMax || lon < lonMin || lon > lonMax) return false;
  let latOffset = (lat - latMin) / (latMax - latMin);
  let lonOffset = (lon - lonMin) / (lonMax - lonMin);
  const scale = 2 ** step;
  latOffset *= scale;
  lonOffset *= scale;
  interleave(toU32(latOffset), toU32(lonOffset));
  return true;
}

/** Whether a longitude, latitude pair can be indexed (extractLongLatOrReply's check). */
export function validLonLat(lon: number, lat: number): boolean {
  return !(lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX);
}

/**
 * The score GEOADD gives a valid position, as the decimal integer Redis
 * hands to ZADD (exact even past 2^53: longitude 180 sets bit 53).
 */
export function geoScoreString(lon: number, lat: number): string {
  encode(lon, lat, GEO_LONG_MIN, GEO_LONG_MAX, GEO_LAT_MIN, GEO_LAT_MAX, GEO_STEP_MAX);
  if (outHi < 0x200000) return String(outHi * TWO32 + outLo);
  return ((BigInt(outHi) << 32n) | BigInt(outLo)).toString();
}

/** The score GEOADD gives a valid position (the ZADD string's value as a double). */
export function geoScore(lon: number, lat: number): number {
  encode(lon, lat, GEO_LONG_MIN, GEO_LONG_MAX, GEO_LAT_MIN, GEO_LAT_MAX, GEO_STEP_MAX);
  // One rounding, to nearest even, as strtod of the exact integer.
  return outHi * TWO32 + outLo;
}

/** C's (uint64_t) of a double as x86-64 code computes it, into uint32 halves (outHi, outLo). */
function scoreBits(score: number): void {
  const TWO63 = 9223372036854775808;
  if (score >= 0 && score < 18446744073709551616) {
    // [2^63, 2^64) converts through a subtraction; below that directly.
    const t = Math.trunc(score);
    const hi = Math.floor(t / TWO32);
    outHi = hi >>> 0;
    outLo = (t - hi * TWO32) >>> 0;
    return;
  }
  if (score >= -TWO63 && score < 0) {
    const t = -Math.trunc(score);
    const hi = Math.floor(t / TWO32);
    const lo = (t - hi * TWO32) >>> 0;
    // Two's complement of the magnitude.
    outLo = (~lo + 1) >>> 0;
    outHi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    if (t === 0) {
      outHi = 0;
      outLo = 0;
    }
    return;
  }
  // Out of range (±inf, ≥ 2^64, < -2^63): cvttsd2si's "integer indefinite",
  // XORed with the sign bit on the big path.
  outHi = score >= TWO63 ? 0 : 0x80000000;
  outLo = 0;
}

/**
 * Redis's decodeGeohash: the position (longitude, latitude) at the centre of
 * a score's 26-bit cell, clamped to the limits. Writes out[0], out[1].
 */
export function decodeScore(score: number, out: Float64Array | number[]): void {
  scoreBits(score);
  const hi = outHi;
  const lo = outLo;
  const ilato = (compact16(lo) | (compact16(hi) << 16)) >>> 0;
  const ilono = (compact16(lo >>> 1) | (compact16(hi >>> 1) << 16)) >>> 0;
  const scale = 67108864; // 2^26
  const latScale = GEO_LAT_MAX - GEO_LAT_MIN;
  const lonScale = GEO_LONG_MAX - GEO_LONG_MIN;
  const latMin = GEO_LAT_MIN + (ilato / scale) * latScale;
  const latMax = GEO_LAT_MIN + (((ilato + 1) >>> 0) / scale) * latScale;
  const lonMin = GEO_LONG_MIN + (ilono / scale) * lonScale;
  const lonMax = GEO_LONG_MIN + (((ilono + 1) >>> 0) / scale) * lonScale;
  let x = (lonMin + lonMax) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  let y = (latMin + latMax) / 2;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  out[0] = x;
  out[1] = y;
}

const ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';
const xy = new Float64Array(2);

/** GEOHASH's 11-character string: the decoded position re-encoded over ±180 × ±90, the 11th character always '0'. */
export function geohashString(score: number): string {
  decodeScore(score, xy);
  encode(xy[0], xy[1], -180, 180, -90, 90, 26);
  const bits = (BigInt(outHi) << 32n) | BigInt(outLo);
  let s = '';
  for (let i = 0; i < 10; i++) s += ALPHABET[Number((bits >> BigInt(52 - (i + 1) * 5)) & 31n)];
  return s + '0';
}

// ---- distances -------------------------------------------------------------------------------

/** Distance along a meridian (geohashGetLatDistance). */
export function latDistance(lat1d: number, lat2d: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat2d) - degRad(lat1d));
}

/** Haversine great-circle distance in meters (geohashGetDistance). */
export function geoDistance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lon1r = degRad(lon1d);
  const lon2r = degRad(lon2d);
  const v = Math.sin((lon2r - lon1r) / 2);
  // Same longitude: the formula reduces to the latitude difference.
  if (v === 0.0) return latDistance(lat1d, lat2d);
  const lat1r = degRad(lat1d);
  const lat2r = degRad(lat2d);
  const u = Math.sin((lat2r - lat1r) / 2);
  const a = u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}

// ---- search shapes ---------------------------------------------------------------------------

/** A GEOSEARCH area: a circle (BYRADIUS) or an axis-aligned box (BYBOX) around (lon, lat), in `conversion` meters per unit. */
export interface GeoShape {
  box: boolean;
  lon: number;
  lat: number;
  radius: number;
  width: number;
  height: number;
  /** Meters per unit: 1, 1000, 0.3048, 1609.34. */
  conversion: number;
}

/**
 * Redis's geoWithinShape after decoding: the distance in meters from the
 * centre when (lon, lat) lies within the shape, else -1.
 */
export function distanceWithin(shape: GeoShape, lon: number, lat: number): number {
  if (!shape.box) {
    const r = shape.radius * shape.conversion;
    // A great circle is never shorter than its latitude difference: points
    // clearly beyond it skip the trigonometry (the margin dwarfs rounding).
    if (latDistance(lat, shape.lat) > r * (1 + 1e-9)) return -1;
    const d = geoDistance(shape.lon, shape.lat, lon, lat);
    return d > r ? -1 : d;
  }
  const widthM = shape.width * shape.conversion;
  const heightM = shape.height * shape.conversion;
  // The latitude test is cheaper, so first.
  if (latDistance(lat, shape.lat) > heightM / 2) return -1;
  if (geoDistance(lon, lat, shape.lon, lat) > widthM / 2) return -1;
  return geoDistance(shape.lon, shape.lat, lon, lat);
}

/** geohashEstimateStepsByRadius: the cell size (bits per coordinate) of a search's nine boxes. */
export function estimateSteps(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2; // make sure the range is included in most of the base cases
  // Wider cells towards the poles.
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** geohashBoundingBox: [minLon, minLat, maxLon, maxLat] of the shape. */
export function boundingBox(shape: GeoShape): [number, number, number, number] {
  const { lon, lat } = shape;
  const height = shape.conversion * (shape.box ? shape.height / 2 : shape.radius);
  const width = shape.conversion * (shape.box ? shape.width / 2 : shape.radius);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const lonDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(lat + latDelta)));
  const lonDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(lat - latDelta)));
  // The box's wider edge is the one nearer the equator.
  const southern = lat < 0;
  return [
    southern ? lon - lonDeltaBottom : lon - lonDeltaTop,
    lat - latDelta,
    southern ? lon + lonDeltaBottom : lon + lonDeltaTop,
    lat + latDelta,
  ];
}

/** A 64-bit geohash as uint32 halves, and its step (bits per coordinate). */
interface Hash {
  hi: number;
  lo: number;
  step: number;
}

function encodeHash(lon: number, lat: number, step: number): Hash {
  if (!encode(lon, lat, GEO_LONG_MIN, GEO_LONG_MAX, GEO_LAT_MIN, GEO_LAT_MAX, step)) return { hi: 0, lo: 0, step };
  return { hi: outHi, lo: outLo, step };
}

interface Area {
  lonMin: number;
  lonMax: number;
  latMin: number;
  latMax: number;
}

/** geohashDecode of a hash at its step (the cell's bounds). */
function decodeHash(h: Hash): Area {
  // deinterleave64: the even bits are the latitude, the odd ones the longitude.
  const ilato = (compact16(h.lo) | (compact16(h.hi) << 16)) >>> 0;
  const ilono = (compact16(h.lo >>> 1) | (compact16(h.hi >>> 1) << 16)) >>> 0;
  const scale = 2 ** h.step;
  const latScale = GEO_LAT_MAX - GEO_LAT_MIN;
  const lonScale = GEO_LONG_MAX - GEO_LONG_MIN;
  return {
    latMin: GEO_LAT_MIN + (ilato / scale) * latScale,
    latMax: GEO_LAT_MIN + (((ilato + 1) >>> 0) / scale) * latScale,
    lonMin: GEO_LONG_MIN + (ilono / scale) * lonScale,
    lonMax: GEO_LONG_MIN + (((ilono + 1) >>> 0) / scale) * lonScale,
  };
}

/** The uint32 halves of a 64-bit pattern (0x5555... or 0xaaaa...) shifted right by s (0 < s < 64). */
function patternShifted(word: number, s: number): [number, number] {
  if (s >= 32) return [0, (word >>> (s - 32)) >>> 0];
  return [(word >>> s) >>> 0, ((word >>> s) | (word << (32 - s))) >>> 0];
}

/**
 * geohash_move_x / geohash_move_y: one cell east or west (the odd bits,
 * `word` 0xaaaaaaaa) or north or south (the even bits, 0x55555555), in
 * 64-bit unsigned arithmetic; wraps around at the edges.
 */
function move(h: Hash, d: number, word: number): Hash {
  if (d === 0) return h;
  const other = word === 0xaaaaaaaa ? 0x55555555 : 0xaaaaaaaa;
  const s = 64 - h.step * 2;
  let xh = (h.hi & word) >>> 0;
  let xl = (h.lo & word) >>> 0;
  const yh = (h.hi & other) >>> 0;
  const yl = (h.lo & other) >>> 0;
  const [zh, zl] = patternShifted(other, s);
  // zz + 1
  let ol = zl + 1;
  let oh = (zh + (ol > 0xffffffff ? 1 : 0)) >>> 0;
  ol >>>= 0;
  if (d > 0) {
    const l = xl + ol;
    xh = (xh + oh + (l > 0xffffffff ? 1 : 0)) >>> 0;
    xl = l >>> 0;
  } else {
    xh = (xh | zh) >>> 0;
    xl = (xl | zl) >>> 0;
    const l = xl - ol;
    xh = (xh - oh - (l < 0 ? 1 : 0)) >>> 0;
    xl = l >>> 0;
  }
  const [mh, ml] = patternShifted(word, s);
  return { hi: ((xh & mh) | yh) >>> 0, lo: ((xl & ml) | yl) >>> 0, step: h.step };
}

function moveX(h: Hash, d: number): Hash {
  return move(h, d, 0xaaaaaaaa);
}

function moveY(h: Hash, d: number): Hash {
  return move(h, d, 0x55555555);
}

/** The eight neighbours, in Redis's order: north, south, east, west, NE, NW, SE, SW. */
function neighbours(h: Hash): Hash[] {
  return [
    moveY(h, 1),
    moveY(h, -1),
    moveX(h, 1),
    moveX(h, -1),
    moveY(moveX(h, 1), 1),
    moveY(moveX(h, -1), 1),
    moveY(moveX(h, 1), -1),
    moveY(moveX(h, -1), -1),
  ];
}

const ZERO: Hash = { hi: 0, lo: 0, step: 0 };

/**
 * The score ranges [min, max) a search reads, in Redis's order (centre,
 * N, S, E, W, NE, NW, SE, SW): geohashCalculateAreasByShapeWGS84 picks the
 * cells, membersOfAllNeighbors skips empty ones and one equal to the last
 * one read. Flat: [min0, max0, min1, max1, ...].
 */
export function searchRanges(shape: GeoShape): number[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(shape);
  const { lon, lat } = shape;
  // A box's reach is its half-diagonal.
  let radiusMeters = shape.box ? Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2)) : shape.radius;
  radiusMeters *= shape.conversion;
  let steps = estimateSteps(radiusMeters, lat);
  let hash = encodeHash(lon, lat, steps);
  let n = neighbours(hash);
  let area = decodeHash(hash);
  // The estimate can be too coarse when the area sits near a cell's edge.
  const north = decodeHash(n[0]);
  const south = decodeHash(n[1]);
  const east = decodeHash(n[2]);
  const west = decodeHash(n[3]);
  const decrease = north.latMax < maxLat || south.latMin > minLat || east.lonMax < maxLon || west.lonMin > minLon;
  if (steps > 1 && decrease) {
    steps--;
    hash = encodeHash(lon, lat, steps);
    n = neighbours(hash);
    area = decodeHash(hash);
  }
  // Leave out the cells that cannot hold a match.
  if (steps >= 2) {
    if (area.latMin < minLat) n[1] = n[7] = n[6] = ZERO; // south, SW, SE
    if (area.latMax > maxLat) n[0] = n[4] = n[5] = ZERO; // north, NE, NW
    if (area.lonMin < minLon) n[3] = n[7] = n[5] = ZERO; // west, SW, NW
    if (area.lonMax > maxLon) n[2] = n[6] = n[4] = ZERO; // east, SE, NE
  }
  const cells = [hash, ...n];
  const out: number[] = [];
  let last = 0;
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i];
    if (c.hi === 0 && c.lo === 0 && c.step === 0) continue;
    // Redis compares with the last cell read only once one other than the centre was read.
    const l = cells[last];
    if (last !== 0 && c.hi === l.hi && c.lo === l.lo && c.step === l.step) continue;
    // geohashAlign52Bits of the cell and of the next one: one rounding to double, then an exact scaling.
    const scale = 2 ** (52 - c.step * 2);
    const next = c.lo + 1;
    out.push((c.hi * TWO32 + c.lo) * scale, ((c.hi + (next > 0xffffffff ? 1 : 0)) * TWO32 + (next >>> 0)) * scale);
    last = i;
  }
  return out;
}

// ---- Redis's partial quicksort -----------------------------------------------------------------

/**
 * Redis's pqsort (Bentley & McIlroy's quicksort that skips partitions outside
 * [lrange, rrange]): GEO searches with COUNT sort only the first COUNT
 * results with it, and the order of equal distances is the order it leaves.
 */
export function pqsort<T>(a: T[], cmp: (x: T, y: T) => number, lrange: number, rrange: number): void {
  sortPart(a, 0, a.length, cmp, lrange, rrange);
}

function swap<T>(a: T[], i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

function vecswap<T>(a: T[], i: number, j: number, n: number): void {
  for (let k = 0; k < n; k++) swap(a, i + k, j + k);
}

function med3<T>(a: T[], i: number, j: number, k: number, cmp: (x: T, y: T) => number): number {
  return cmp(a[i], a[j]) < 0
    ? cmp(a[j], a[k]) < 0
      ? j
      : cmp(a[i], a[k]) < 0
        ? k
        : i
    : cmp(a[j], a[k]) > 0
      ? j
      : cmp(a[i], a[k]) < 0
        ? i
        : k;
}

function insertionSort<T>(a: T[], base: number, n: number, cmp: (x: T, y: T) => number): void {
  for (let pm = base + 1; pm < base + n; pm++) {
    for (let pl = pm; pl > base && cmp(a[pl - 1], a[pl]) > 0; pl--) swap(a, pl, pl - 1);
  }
}

function sortPart<T>(a: T[], base: number, n: number, cmp: (x: T, y: T) => number, lrange: number, rrange: number): void {
  for (;;) {
    if (n < 7) {
      insertionSort(a, base, n, cmp);
      return;
    }
    let pm = base + (n >> 1);
    if (n > 7) {
      let pl = base;
      let pn = base + n - 1;
      if (n > 40) {
        const d = n >> 3;
        pl = med3(a, pl, pl + d, pl + 2 * d, cmp);
        pm = med3(a, pm - d, pm, pm + d, cmp);
        pn = med3(a, pn - 2 * d, pn - d, pn, cmp);
      }
      pm = med3(a, pl, pm, pn, cmp);
    }
    swap(a, base, pm);
    let pa = base + 1;
    let pb = pa;
    let pc = base + n - 1;
    let pd = pc;
    for (;;) {
      let r: number;
      while (pb <= pc && (r = cmp(a[pb], a[base])) <= 0) {
        if (r === 0) {
          swap(a, pa, pb);
          pa++;
        }
        pb++;
      }
      while (pb <= pc && (r = cmp(a[pc], a[base])) >= 0) {
        if (r === 0) {
          swap(a, pc, pd);
          pd--;
        }
        pc--;
      }
      if (pb > pc) break;
      swap(a, pb, pc);
      pb++;
      pc--;
    }
    const pn = base + n;
    let r = Math.min(pa - base, pb - pa);
    vecswap(a, base, pb - r, r);
    r = Math.min(pd - pc, pn - pd - 1);
    vecswap(a, pb, pn - r, r);
    // Recurse into a side only when it overlaps [lrange, rrange].
    const outside = (start: number, cnt: number): boolean =>
      (lrange < start && rrange < start) || (lrange >= start + cnt && rrange >= start + cnt);
    if ((r = pb - pa) > 1) {
      if (!outside(base, r)) sortPart(a, base, r, cmp, lrange, rrange);
    }
    if ((r = pd - pc) > 1) {
      base = pn - r;
      n = r;
      if (!outside(base, n)) continue;
    }
    return;
  }
}
