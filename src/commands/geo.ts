/**
 * The geo family. A geo index is a sorted set whose scores are 52-bit
 * geohashes (util/geohash.ts), as in Redis: TYPE says zset and every
 * sorted-set command works on it. GEOADD is ZADD with the positions turned
 * into scores (and propagates as that ZADD, as Redis rewrites it); searches
 * read score ranges of the sorted set; the STORE forms write through the
 * sorted-set family's store. Replies, errors and the order of the checks
 * follow Redis 7.0's geo.c.
 */
import { ERR_NOT_INT, ERR_SYNTAX, type Exec, type ShardHandler, WRONGTYPE } from '../shard/exec.js';
import { ObjType } from '../shard/keyspace.js';
import { type ScoreRange, ZIter, zsScore } from '../types/zset.js';
import { parseDouble } from '../util/numbers.js';
import { copyBytes, sliceBytes } from '../util/bytes.js';
import { formatFixed, formatFixedPoint, formatHuman17 } from '../util/printf-fixed.js';
import {
  type GeoShape,
  decodeScore,
  distanceWithin,
  geoDistance,
  geoScoreString,
  geohashString,
  pqsort,
  searchRanges,
  validLonLat,
} from '../util/geohash.js';
import { sortedSetHandlers, storeResult } from './sorted-sets.js';

const ERR_NOT_FLOAT = 'ERR value is not a valid float';
const ERR_UNIT = 'ERR unsupported unit provided. please use M, KM, FT, MI';
const ERR_MEMBER = 'ERR could not decode requested zset member';

/** Whether argument i, read as a C string (up to its first NUL), is `lower` in any case (strcasecmp). */
function cIs(x: Exec, i: number, lower: string): boolean {
  const u8 = x.u8;
  const o = x.off[i];
  let n = x.len[i];
  for (let k = 0; k < n; k++) {
    if (u8[o + k] === 0) {
      n = k;
      break;
    }
  }
  if (n !== lower.length) return false;
  for (let k = 0; k < n; k++) {
    let c = u8[o + k];
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(k)) return false;
  }
  return true;
}

/** getDoubleFromObjectOrReply: argument i as a double, or null after replying `msg`. */
function argDouble(x: Exec, i: number, msg = ERR_NOT_FLOAT): number | null {
  const v = parseDouble(x.u8, x.off[i], x.len[i]);
  if (v === null) x.r.error(msg);
  return v;
}

/** extractLongLatOrReply: arguments i, i+1 as a valid position into `out`, or false after replying. */
function argLonLat(x: Exec, i: number, out: Float64Array | number[]): boolean {
  const lon = argDouble(x, i);
  if (lon === null) return false;
  const lat = argDouble(x, i + 1);
  if (lat === null) return false;
  if (!validLonLat(lon, lat)) {
    x.r.error(`ERR invalid longitude,latitude pair ${formatFixed(lon, 6)},${formatFixed(lat, 6)}`);
    return false;
  }
  out[0] = lon;
  out[1] = lat;
  return true;
}

/** extractUnitOrReply: meters per unit, or -1 after replying. */
function argUnit(x: Exec, i: number): number {
  if (cIs(x, i, 'm')) return 1;
  if (cIs(x, i, 'km')) return 1000;
  if (cIs(x, i, 'ft')) return 0.3048;
  if (cIs(x, i, 'mi')) return 1609.34;
  x.r.error(ERR_UNIT);
  return -1;
}

/** Distances with 4 decimals as Redis prints them (fixedpoint_d2string): always a bulk string, in RESP3 too. */
function replyDistance(x: Exec, d: number): void {
  x.r.bulkString(formatFixedPoint(d, 4));
}

/** addReplyHumanLongDouble: a bulk string in RESP2, a double in RESP3, "%.17Lf" without trailing zeros. */
function replyCoord(x: Exec, v: number): void {
  const s = formatHuman17(v);
  if (x.resp3) x.r.ascii(`,${s}\r\n`);
  else x.r.bulkString(s);
}

/** The score of member argument i in entry h (NaN when absent). */
function memberScore(x: Exec, h: number, i: number): number {
  return zsScore(x.ks.arena, x.ks.encoding(h), x.ks.valueWord(h), x.u8, x.off[i], x.len[i]);
}

// ---- GEOADD --------------------------------------------------------------------------------

const ZADD = new Uint8Array([0x7a, 0x61, 0x64, 0x64]); // "zadd"

/** An ASCII string's bytes (score strings: digits only). */
function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * Runs `handler` on another argument vector (Redis's
 * replaceClientCommandVector): the Exec's arguments are swapped for it and
 * put back after.
 */
function runWithArgs(x: Exec, args: Uint8Array[], handler: ShardHandler): void {
  let total = 0;
  for (const a of args) total += a.length;
  const u8 = new Uint8Array(total);
  const off = new Int32Array(args.length);
  const len = new Int32Array(args.length);
  let p = 0;
  for (let i = 0; i < args.length; i++) {
    copyBytes(u8, p, args[i], 0, args[i].length);
    off[i] = p;
    len[i] = args[i].length;
    p += args[i].length;
  }
  const saved = [x.u8, x.off, x.len, x.argc] as const;
  x.u8 = u8;
  x.off = off;
  x.len = len;
  x.argc = args.length;
  try {
    handler(x);
  } finally {
    [x.u8, x.off, x.len, x.argc] = saved;
  }
}

/** GEOADD key [NX|XX] [CH] longitude latitude member [...]: ZADD with the positions as scores. */
function geoadd(x: Exec): void {
  let xx = false;
  let nx = false;
  let longIdx = 2;
  for (; longIdx < x.argc; longIdx++) {
    if (cIs(x, longIdx, 'nx')) nx = true;
    else if (cIs(x, longIdx, 'xx')) xx = true;
    else if (!cIs(x, longIdx, 'ch')) break;
  }
  if ((x.argc - longIdx) % 3 !== 0 || (xx && nx)) {
    x.r.error(ERR_SYNTAX);
    return;
  }
  const elements = (x.argc - longIdx) / 3;
  const args: Uint8Array[] = [ZADD];
  for (let i = 1; i < longIdx; i++) args.push(x.arg(i));
  const pos = [0, 0];
  const scores: number[] = [];
  for (let k = 0; k < elements; k++) {
    const at = longIdx + 3 * k;
    if (!argLonLat(x, at, pos)) return;
    const score = geoScoreString(pos[0], pos[1]);
    scores.push(Number(score));
    args.push(asciiBytes(score), x.arg(at + 2));
  }
  // Redis propagates the ZADD only when it changed something (server.dirty).
  const changes = x.propagating && changesSomething(x, longIdx, scores, nx, xx);
  runWithArgs(x, args, sortedSetHandlers.zadd);
  if (changes) x.propagate(...args);
  else x.propagateNothing();
}

/** Whether GEOADD's ZADD will add a member or move one (before it runs; on a sorted set or no key). */
function changesSomething(x: Exec, longIdx: number, scores: number[], nx: boolean, xx: boolean): boolean {
  const h = x.peek(1);
  for (let k = 0; k < scores.length; k++) {
    const cur = h === 0 || x.ks.type(h) !== ObjType.ZSet ? NaN : memberScore(x, h, longIdx + 3 * k + 2);
    if (cur !== cur ? !xx : !nx && cur !== scores[k]) return true;
  }
  return false;
}

// ---- GEODIST, GEOHASH, GEOPOS -------------------------------------------------------------------

const xy = new Float64Array(2);
const xy2 = new Float64Array(2);

function geodist(x: Exec): void {
  let toMeter = 1;
  if (x.argc === 5) {
    toMeter = argUnit(x, 4);
    if (toMeter < 0) return;
  } else if (x.argc > 5) {
    x.r.error(ERR_SYNTAX);
    return;
  }
  const h = x.lookupTyped(1, ObjType.ZSet);
  if (h < 0) return;
  if (h === 0) {
    x.r.nullBulk();
    return;
  }
  const s1 = memberScore(x, h, 2);
  const s2 = s1 === s1 ? memberScore(x, h, 3) : NaN;
  if (s2 !== s2) {
    x.r.nullBulk();
    return;
  }
  decodeScore(s1, xy);
  decodeScore(s2, xy2);
  replyDistance(x, geoDistance(xy[0], xy[1], xy2[0], xy2[1]) / toMeter);
}

function geohash(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.ZSet);
  if (h < 0) return;
  x.r.array(x.argc - 2);
  for (let i = 2; i < x.argc; i++) {
    const s = h === 0 ? NaN : memberScore(x, h, i);
    if (s !== s) x.r.nullBulk();
    else x.r.bulkString(geohashString(s));
  }
}

function geopos(x: Exec): void {
  const h = x.lookupTyped(1, ObjType.ZSet);
  if (h < 0) return;
  x.r.array(x.argc - 2);
  for (let i = 2; i < x.argc; i++) {
    const s = h === 0 ? NaN : memberScore(x, h, i);
    if (s !== s) {
      x.r.nullArray();
      continue;
    }
    decodeScore(s, xy);
    x.r.array(2);
    replyCoord(x, xy[0]);
    replyCoord(x, xy[1]);
  }
}

// ---- searches ----------------------------------------------------------------------------------

const enum Search {
  /** GEORADIUS, GEORADIUS_RO: the centre is a position. */
  Coords = 1,
  /** GEORADIUSBYMEMBER, GEORADIUSBYMEMBER_RO: the centre is a member. */
  Member = 2,
  /** The _RO forms: no STORE. */
  NoStore = 4,
  /** GEOSEARCH, GEOSEARCHSTORE: FROMMEMBER/FROMLONLAT, BYRADIUS/BYBOX. */
  Search = 8,
  SearchStore = 16,
}

const enum Sort {
  None,
  Asc,
  Desc,
}

interface GeoPoint {
  member: Uint8Array;
  lon: number;
  lat: number;
  dist: number;
  score: number;
}

const asc = (a: GeoPoint, b: GeoPoint): number => (a.dist > b.dist ? 1 : a.dist === b.dist ? 0 : -1);
const desc = (a: GeoPoint, b: GeoPoint): number => -asc(a, b);

const range: ScoreRange = { min: 0, max: 0, minex: false, maxex: true };
const iter = new ZIter();

/**
 * Redis's membersOfAllNeighbors: the points of entry h within the shape,
 * cell by cell, each cell's range in score order; stops at `limit` (ANY).
 */
function pointsWithin(x: Exec, h: number, shape: GeoShape, limit: number): GeoPoint[] {
  const out: GeoPoint[] = [];
  const ranges = searchRanges(shape);
  for (let c = 0; c < ranges.length; c += 2) {
    if (limit > 0 && out.length >= limit) break;
    range.min = ranges[c];
    range.max = ranges[c + 1];
    iter.init(x.ks.arena, x.ks.encoding(h), x.ks.valueWord(h));
    if (!iter.firstInScore(range)) continue;
    do {
      const score = iter.score;
      if (!(score < range.max)) break;
      decodeScore(score, xy);
      const d = distanceWithin(shape, xy[0], xy[1]);
      if (d >= 0) out.push({ member: sliceBytes(iter.u8, iter.off, iter.len), lon: xy[0], lat: xy[1], dist: d, score });
      if (limit > 0 && out.length >= limit) break;
    } while (iter.next());
  }
  return out;
}

/**
 * Redis's georadiusGeneric: GEORADIUS key lon lat radius unit [opts],
 * GEORADIUSBYMEMBER key member radius unit [opts], GEOSEARCH key [opts],
 * GEOSEARCHSTORE dst src [opts]; the source is argument `srcIdx`.
 */
function georadiusGeneric(x: Exec, srcIdx: number, flags: number): void {
  let storeIdx = -1;
  let storedist = false;
  const h = x.lookup(srcIdx, true);
  if (h !== 0 && x.ks.type(h) !== ObjType.ZSet) {
    x.r.error(WRONGTYPE);
    return;
  }
  const shape: GeoShape = { box: false, lon: 0, lat: 0, radius: 0, width: 0, height: 0, conversion: 0 };
  const center = [0, 0];
  let base: number;
  const radiusArgs = (i: number): boolean => {
    const r = argDouble(x, i, 'ERR need numeric radius');
    if (r === null) return false;
    if (r < 0) {
      x.r.error('ERR radius cannot be negative');
      return false;
    }
    const conv = argUnit(x, i + 1);
    if (conv < 0) return false;
    shape.radius = r;
    shape.conversion = conv;
    return true;
  };
  const fromMember = (i: number): boolean => {
    const s = memberScore(x, h, i);
    if (s !== s) {
      x.r.error(ERR_MEMBER);
      return false;
    }
    decodeScore(s, center);
    return true;
  };
  if (flags & Search.Coords) {
    base = 6;
    if (!argLonLat(x, 2, center) || !radiusArgs(4)) return;
  } else if (flags & Search.Member) {
    base = 5;
    // Without a source the rest is parsed only to pick the reply.
    if (h !== 0 && (!fromMember(2) || !radiusArgs(3))) return;
  } else {
    base = flags & Search.SearchStore ? 3 : 2;
    if (flags & Search.SearchStore) storeIdx = 1;
  }

  let withdist = false;
  let withhash = false;
  let withcoords = false;
  let frommember = false;
  let fromloc = false;
  let byradius = false;
  let bybox = false;
  let sort = Sort.None;
  let any = false;
  let count = 0;
  const search = (flags & Search.Search) !== 0;
  for (let i = base; i < x.argc; i++) {
    const left = x.argc - i - 1;
    if (cIs(x, i, 'withdist')) withdist = true;
    else if (cIs(x, i, 'withhash')) withhash = true;
    else if (cIs(x, i, 'withcoord')) withcoords = true;
    else if (cIs(x, i, 'any')) any = true;
    else if (cIs(x, i, 'asc')) sort = Sort.Asc;
    else if (cIs(x, i, 'desc')) sort = Sort.Desc;
    else if (cIs(x, i, 'count') && left >= 1) {
      const c = x.argLong(i + 1);
      if (c === null) {
        x.r.error(ERR_NOT_INT);
        return;
      }
      if (c <= 0) {
        x.r.error('ERR COUNT must be > 0');
        return;
      }
      count = c;
      i++;
    } else if ((cIs(x, i, 'store') || cIs(x, i, 'storedist')) && left >= 1 && !(flags & Search.NoStore) && !search) {
      storeIdx = i + 1;
      storedist = cIs(x, i, 'storedist');
      i++;
    } else if (cIs(x, i, 'storedist') && search && flags & Search.SearchStore) {
      storedist = true;
    } else if (cIs(x, i, 'frommember') && left >= 1 && search && !fromloc) {
      if (h !== 0 && !fromMember(i + 1)) return;
      frommember = true;
      i++;
    } else if (cIs(x, i, 'fromlonlat') && left >= 2 && search && !frommember) {
      if (!argLonLat(x, i + 1, center)) return;
      fromloc = true;
      i += 2;
    } else if (cIs(x, i, 'byradius') && left >= 2 && search && !bybox) {
      if (!radiusArgs(i + 1)) return;
      shape.box = false;
      byradius = true;
      i += 2;
    } else if (cIs(x, i, 'bybox') && left >= 3 && search && !byradius) {
      const w = argDouble(x, i + 1, 'ERR need numeric width');
      if (w === null) return;
      const ht = argDouble(x, i + 2, 'ERR need numeric height');
      if (ht === null) return;
      if (ht < 0 || w < 0) {
        x.r.error('ERR height or width cannot be negative');
        return;
      }
      const conv = argUnit(x, i + 3);
      if (conv < 0) return;
      shape.width = w;
      shape.height = ht;
      shape.conversion = conv;
      shape.box = true;
      bybox = true;
      i += 3;
    } else {
      x.r.error(ERR_SYNTAX);
      return;
    }
  }

  if (storeIdx > 0 && (withdist || withhash || withcoords)) {
    const what = flags & Search.SearchStore ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS';
    x.r.error(`ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
    return;
  }
  if (search && !(frommember || fromloc)) {
    x.r.error(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${cName(x)}`);
    return;
  }
  if (search && !(byradius || bybox)) {
    x.r.error(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${cName(x)}`);
    return;
  }
  if (any && count === 0) {
    x.r.error('ERR the ANY argument requires COUNT argument');
    return;
  }

  if (h === 0) {
    if (storeIdx > 0) x.r.int(storeResult(x, storeIdx, [], [], true));
    else x.r.array(0);
    return;
  }
  // COUNT alone returns the nearest ones.
  if (count !== 0 && sort === Sort.None && !any) sort = Sort.Asc;
  shape.lon = center[0];
  shape.lat = center[1];
  const points = pointsWithin(x, h, shape, any ? count : 0);
  if (points.length === 0 && storeIdx < 0) {
    x.r.array(0);
    return;
  }
  const n = points.length;
  const returned = count === 0 || n < count ? n : count;
  if (sort !== Sort.None) {
    const cmp = sort === Sort.Asc ? asc : desc;
    // glibc's qsort is a stable merge sort; Redis sorts a prefix with its pqsort.
    if (returned === n) points.sort(cmp);
    else pqsort(points, cmp, 0, returned - 1);
  }
  if (storeIdx < 0) {
    const opts = (withdist ? 1 : 0) + (withhash ? 1 : 0) + (withcoords ? 1 : 0);
    x.r.array(returned);
    for (let i = 0; i < returned; i++) {
      const p = points[i];
      if (opts > 0) x.r.array(opts + 1);
      x.r.bulk(p.member, 0, p.member.length);
      if (withdist) replyDistance(x, p.dist / shape.conversion);
      if (withhash) x.r.int(Math.trunc(p.score));
      if (withcoords) {
        x.r.array(2);
        replyCoord(x, p.lon);
        replyCoord(x, p.lat);
      }
    }
    return;
  }
  const members: Uint8Array[] = [];
  const scores: number[] = [];
  for (let i = 0; i < returned; i++) {
    const p = points[i];
    members.push(p.member);
    scores.push(storedist ? p.dist / shape.conversion : p.score);
  }
  x.r.int(storeResult(x, storeIdx, members, scores, false, search ? 'geosearchstore' : 'georadiusstore'));
}

/** The command name as the client spelled it (Redis prints argv[0]). */
function cName(x: Exec): string {
  return Buffer.from(x.arg(0)).toString('latin1');
}

export const geoHandlers: Record<string, ShardHandler> = {
  geoadd,
  geodist,
  geohash,
  geopos,
  georadius: (x) => georadiusGeneric(x, 1, Search.Coords),
  georadius_ro: (x) => georadiusGeneric(x, 1, Search.Coords | Search.NoStore),
  georadiusbymember: (x) => georadiusGeneric(x, 1, Search.Member),
  georadiusbymember_ro: (x) => georadiusGeneric(x, 1, Search.Member | Search.NoStore),
  geosearch: (x) => georadiusGeneric(x, 1, Search.Search),
  geosearchstore: (x) => georadiusGeneric(x, 2, Search.Search | Search.SearchStore),
};
