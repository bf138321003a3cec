/**
 * Random command sequences over the geo commands, for the differential test
 * against redis-server (geo.diff.test.ts).
 *
 * Points cluster around anchors (the poles' limits, the antimeridian, the
 * equator and prime meridian, a few cities) so that searches of every size
 * find something; some are added twice at the very same position, so that
 * results hold equal distances and their order is Redis's sort's. Keys carry
 * no hash tags: they spread over Shoal's 4 shards, and GEOSEARCHSTORE /
 * GEORADIUS ... STORE cross them. One key is a sorted set with arbitrary
 * scores (decoded as Redis decodes any score), one a string (WRONGTYPE).
 */
import { type Arg, type Reply, parseOne } from '../helpers/resp.js';
import type { Comparator, DiffCommand } from '../helpers/differential.js';
import type { Rng } from '../helpers/rng.js';
import { keysOnEveryShard } from '../helpers/shards.js';

export const GEO_KEYS: readonly string[] = keysOnEveryShard('geo', 6);
const ZSET = 'geozset';
const STRING = 'geostr';
const MISSING = 'geonone';
/** STORE destinations (now and then a source key is one too). */
const DST_KEYS: readonly string[] = keysOnEveryShard('geodst', 4);
/** A key that grows past zset-max-listpack-entries (a skiplist), with many points at the same spots. */
const BIG = 'geobig';
export const ALL_KEYS: readonly string[] = [...GEO_KEYS, BIG, ...DST_KEYS, ZSET, STRING, MISSING];

const ANCHORS: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [13.361389, 38.115556],
  [-122.4194, 37.7749],
  [151.2093, -33.8688],
  [179.9, 10],
  [-179.9, -10],
  [180, 0],
  [-180, 60],
  [10, 85],
  [-70, -85],
  [100, 84.9],
  [-5, -70],
  [37.6, 55.75],
];
const EDGE_LON = ['180', '-180', '179.999999', '-179.999999', '0', '-0'];
const EDGE_LAT = ['85.05112878', '-85.05112878', '85.05112877', '-85.0511287', '0', '66.5', '-80.5'];
const BAD_COORD = ['181', '-180.0000001', '85.05112879', '-90', 'abc', '', 'nan', 'inf', '-inf', '1e400', '0x10', ' 1', '1\0'];
const MEMBERS = Array.from({ length: 30 }, (_, i) => `m${i}`).concat(['', 'a b', 'ключ', '\0x', 'STORE', 'count']);
const UNITS = ['m', 'km', 'ft', 'mi', 'M', 'KM', 'Ft', 'mI'];
const BAD_UNITS = ['meters', 'k', '', 'm\0x', 'mm'];
const METERS = { m: 1, km: 1000, ft: 0.3048, mi: 1609.34 } as Record<string, number>;

/**
 * Whether two numbers agree to 11 significant digits: a last-bit difference
 * in asin's argument grows a hundredfold and more near the antipode.
 */
function nearlySame(a: number, b: number): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  const m = Math.max(Math.abs(a), Math.abs(b));
  return Math.abs(a - b) <= 1e-11 * m;
}

function sameTree(a: Reply, b: Reply): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'array' && b.type === 'array') {
    if (a.value === null || b.value === null) return a.value === b.value;
    return a.value.length === b.value.length && a.value.every((x, i) => sameTree(x, b.value![i]!));
  }
  if (a.type === 'bulk' && b.type === 'bulk') {
    if (a.value === null || b.value === null) return a.value === b.value;
    return a.value.equals(b.value) || nearlySame(Number(a.value.toString('latin1')), Number(b.value.toString('latin1')));
  }
  if (a.type === 'double' && b.type === 'double') return a.value === b.value || nearlySame(Number(a.value), Number(b.value));
  return JSON.stringify(a, (_, v) => (typeof v === 'bigint' ? String(v) : v)) === JSON.stringify(b, (_, v) => (typeof v === 'bigint' ? String(v) : v));
}

/**
 * ZRANGE ... WITHSCORES of keys that may hold STOREDIST results: the same
 * members in the same order, the same scores but for the last bits of a
 * distance. Distances go through sin, cos and asin, whose last bit V8 and
 * glibc round differently now and then (docs/compatibility.md); every other
 * reply shows them with 4 decimals, and is compared byte for byte.
 */
export const sameUpToDistanceBits: Comparator = (a, b) => a.equals(b) || sameTree(parseOne(a), parseOne(b));

export class GeoGen {
  /** Positions already added (as the strings sent), to add again at the same spot. */
  private readonly placed: Array<[string, string]> = [];
  /** The same by key, to search around. */
  private readonly placedIn = new Map<string, Array<[string, string]>>();
  /** Members added to each key (roughly: a failed GEOADD still counts), to search from. */
  private readonly added = new Map<string, string[]>();

  constructor(private readonly rng: Rng) {}

  private name(cmd: string): string {
    const r = this.rng.next();
    if (r < 0.75) return cmd;
    if (r < 0.9) return cmd.toLowerCase();
    let s = '';
    for (const ch of cmd) s += this.rng.chance(0.5) ? ch.toLowerCase() : ch;
    return s;
  }

  private opt(o: string): string {
    return this.rng.chance(0.8) ? o : o.toLowerCase();
  }

  private key(): string {
    const r = this.rng;
    return r.weighted([
      [20, () => r.pick(GEO_KEYS)],
      [3, () => BIG],
      [1, () => ZSET],
      [0.6, () => STRING],
      [0.6, () => MISSING],
    ] as const)();
  }

  /** A member, usually one added to `key`. */
  private dst(): string {
    const k = this.rng.chance(0.85) ? this.rng.pick(DST_KEYS) : this.key();
    this.added.delete(k);
    this.placedIn.delete(k);
    return k;
  }

  private member(key?: string): string {
    const known = key === undefined ? undefined : this.added.get(key);
    if (known !== undefined && this.rng.chance(0.85)) return this.rng.pick(known);
    return this.rng.pick(MEMBERS);
  }

  /** A search centre: usually near a position already added to `key`. */
  private center(key: string): [string, string] {
    const r = this.rng;
    const placed = this.placedIn.get(key) ?? this.placed;
    if (r.chance(0.03)) return this.badPosition();
    if (placed.length === 0 || r.chance(0.2)) return this.position();
    const [lon, lat] = r.pick(placed).map(Number) as [number, number];
    if (r.chance(0.3)) return [String(lon), String(lat)];
    const d = r.pick([0.0001, 0.01, 0.3]);
    const jl = Math.max(-180, Math.min(180, lon + (r.next() * 2 - 1) * d));
    const jt = Math.max(-85.05112878, Math.min(85.05112878, lat + (r.next() * 2 - 1) * d));
    return [String(jl), String(jt)];
  }

  /** A decimal with a random number of digits. */
  private decimal(v: number): string {
    const r = this.rng;
    return r.weighted([
      [3, () => v.toFixed(r.range(0, 8))],
      [2, () => String(v)],
      [0.3, () => v.toExponential(r.range(2, 10))],
    ] as const)();
  }

  private position(): [string, string] {
    const r = this.rng;
    if (this.placed.length > 0 && r.chance(0.15)) return r.pick(this.placed);
    if (r.chance(0.04)) return [r.pick(EDGE_LON), r.pick(EDGE_LAT)];
    let lon: number;
    let lat: number;
    if (r.chance(0.15)) {
      lon = r.next() * 360 - 180;
      lat = r.next() * 170 - 85;
    } else {
      const [alon, alat] = r.pick(ANCHORS);
      const spread = r.pick([0.001, 0.05, 0.5, 3]);
      lon = alon + (r.next() * 2 - 1) * spread;
      lat = alat + (r.next() * 2 - 1) * spread;
    }
    // Keep inside the indexable square (an out-of-range pair is tested on its own).
    lon = Math.max(-180, Math.min(180, lon));
    lat = Math.max(-85.05112878, Math.min(85.05112878, lat));
    const p: [string, string] = [this.decimal(lon), this.decimal(lat)];
    if (Math.abs(Number(p[0])) > 180 || Math.abs(Number(p[1])) > 85.05112878) return [String(lon), String(lat)];
    return p;
  }

  /** An invalid longitude or latitude. */
  private badPosition(): [string, string] {
    const r = this.rng;
    return r.chance(0.5) ? [r.pick(BAD_COORD), '0'] : ['0', r.pick(BAD_COORD)];
  }

  private unit(): string {
    return this.rng.chance(0.03) ? this.rng.pick(BAD_UNITS) : this.rng.pick(UNITS);
  }

  /** A distance in `unit`, log-uniform from 1 m to 5000 km (sometimes 0, negative or not a number). */
  private distance(unit: string): string {
    const r = this.rng;
    const meters = r.weighted([
      [20, () => 10 ** (r.next() * 6.7)],
      [0.5, () => 0],
      [0.3, () => -5],
      [0.3, () => NaN],
      [0.3, () => 2e7],
    ] as const)();
    if (meters !== meters) return r.pick(['abc', '', 'nan', '1e400']);
    const per = METERS[unit.toLowerCase()] ?? 1;
    return this.decimal(meters / per);
  }

  private count(args: Arg[]): void {
    const r = this.rng;
    args.push(this.opt('COUNT'));
    args.push(
      r.weighted([
        [10, () => String(r.range(1, 8))],
        [2, () => String(r.range(9, 60))],
        [1, () => String(r.range(61, 250))],
        [0.4, () => r.pick(['0', '-1', 'x', '1.5', '9223372036854775807', '9223372036854775808'])],
      ] as const)(),
    );
    if (r.chance(0.3)) args.push(this.opt('ANY'));
  }

  /** Reply options, shuffled, sometimes repeated or wrong. */
  private options(args: Arg[], reply: boolean): void {
    const r = this.rng;
    const opts: Arg[][] = [];
    if (reply) {
      for (const o of ['WITHDIST', 'WITHCOORD', 'WITHHASH']) if (r.chance(0.35)) opts.push([this.opt(o)]);
    }
    if (r.chance(0.5)) opts.push([this.opt(r.pick(['ASC', 'DESC']))]);
    if (r.chance(0.4)) {
      const c: Arg[] = [];
      this.count(c);
      opts.push(c);
    }
    if (r.chance(0.03)) opts.push([this.opt('ANY')]);
    if (r.chance(0.02)) opts.push([r.pick(['FOO', 'COUNT', 'STORE', 'WITHDIST\0'])]);
    for (const o of r.shuffle(opts)) args.push(...o);
  }

  private from(args: Arg[], key: string): void {
    const r = this.rng;
    if (r.chance(0.5)) args.push(this.opt('FROMMEMBER'), this.member(key));
    else args.push(this.opt('FROMLONLAT'), ...this.center(key));
  }

  private by(args: Arg[]): void {
    const r = this.rng;
    const unit = this.unit();
    if (r.chance(0.5)) args.push(this.opt('BYRADIUS'), this.distance(unit), unit);
    else args.push(this.opt('BYBOX'), this.distance(unit), this.distance(unit), unit);
  }

  private geoadd(): DiffCommand {
    const r = this.rng;
    const args: Arg[] = [this.name('GEOADD'), this.key()];
    if (r.chance(0.3)) for (let i = r.range(1, 2); i > 0; i--) args.push(this.opt(r.pick(['NX', 'XX', 'CH'])));
    const key = args[1] as string;
    const n = r.weighted([[5, 1], [3, r.range(2, 6)], [2, r.range(10, 40)]] as const);
    // Now and then one bad pair fails the whole command.
    const bad = r.chance(0.05) ? r.int(n) : -1;
    const adds = bad < 0 && !args.some((a) => String(a).toLowerCase() === 'xx');
    for (let i = 0; i < n; i++) {
      const p = i === bad ? this.badPosition() : this.position();
      const m = this.member();
      args.push(...p, m);
      if (!adds) continue;
      this.placed.push(p);
      const placed = this.placedIn.get(key) ?? [];
      placed.push(p);
      this.placedIn.set(key, placed);
      const known = this.added.get(key) ?? [];
      if (!known.includes(m)) known.push(m);
      this.added.set(key, known);
    }
    if (r.chance(0.02)) args.pop();
    return { args };
  }

  /** Up to 300 points into the big key: a few hundred members, a third of them on a handful of spots. */
  private bigAdd(): DiffCommand {
    const r = this.rng;
    const args: Arg[] = [this.name('GEOADD'), BIG];
    const spots = Array.from({ length: 4 }, () => this.position());
    const known = this.added.get(BIG) ?? [];
    const placed = this.placedIn.get(BIG) ?? [];
    for (let i = r.range(50, 300); i > 0; i--) {
      const p = r.chance(0.35) ? r.pick(spots) : this.position();
      const m = `b${r.int(600)}`;
      args.push(...p, m);
      placed.push(p);
      if (!known.includes(m)) known.push(m);
    }
    this.added.set(BIG, known);
    this.placedIn.set(BIG, placed);
    return { args };
  }

  private geosearch(store: boolean): DiffCommand {
    const r = this.rng;
    const args: Arg[] = store ? [this.name('GEOSEARCHSTORE'), this.dst(), this.key()] : [this.name('GEOSEARCH'), this.key()];
    const src = args[args.length - 1] as string;
    const parts: Arg[][] = [];
    if (r.chance(0.97)) {
      const f: Arg[] = [];
      this.from(f, src);
      parts.push(f);
    }
    if (r.chance(0.97)) {
      const b: Arg[] = [];
      this.by(b);
      parts.push(b);
    }
    const o: Arg[] = [];
    this.options(o, !store || r.chance(0.05));
    if (store && r.chance(0.4)) o.push(this.opt('STOREDIST'));
    parts.push(o);
    if (r.chance(0.02)) parts.push(r.chance(0.5) ? ['FROMMEMBER', this.member()] : ['BYRADIUS', '1', 'km']);
    for (const p of r.shuffle(parts)) args.push(...p);
    return { args };
  }

  private georadius(byMember: boolean, ro: boolean): DiffCommand {
    const r = this.rng;
    const name = (byMember ? 'GEORADIUSBYMEMBER' : 'GEORADIUS') + (ro ? '_RO' : '');
    const unit = this.unit();
    const key = this.key();
    const args: Arg[] = [this.name(name), key, ...(byMember ? [this.member(key)] : this.center(key)), this.distance(unit), unit];
    const store = !ro && r.chance(0.35);
    this.options(args, !store || r.chance(0.05));
    if (store || (ro && r.chance(0.03))) {
      args.push(this.opt(r.pick(['STORE', 'STOREDIST'])), this.dst());
      if (r.chance(0.1)) args.push(this.opt(r.pick(['STORE', 'STOREDIST'])), this.dst());
    }
    return { args };
  }

  next(): DiffCommand {
    const r = this.rng;
    return r.weighted<() => DiffCommand>([
      [10, () => this.geoadd()],
      [1, () => this.bigAdd()],
      [8, () => this.geosearch(false)],
      [3, () => this.geosearch(true)],
      [4, () => this.georadius(false, r.chance(0.3))],
      [4, () => this.georadius(true, r.chance(0.3))],
      [3, () => {
        const k = this.key();
        return { args: [this.name('GEODIST'), k, this.member(k), this.member(k), ...(r.chance(0.6) ? [this.unit()] : []), ...(r.chance(0.02) ? ['x'] : [])] };
      }],
      [3, () => {
        const k = this.key();
        return { args: [this.name('GEOPOS'), k, ...Array.from({ length: r.range(0, 4) }, () => this.member(k))] };
      }],
      [3, () => {
        const k = this.key();
        return { args: [this.name('GEOHASH'), k, ...Array.from({ length: r.range(0, 4) }, () => this.member(k))] };
      }],
      [1, () => ({ args: ['ZADD', ZSET, ...Array.from({ length: r.range(1, 4) }, () => [r.pick(['-1', '0', '1', '-1e300', '1e300', 'inf', '-inf', '3.5', '4503599627370496', '9007199254740993', '-9223372036854775808', '18446744073709551616', String(r.range(0, 2 ** 52))]), this.member()]).flat()] })],
      [1, () => ({ args: ['ZREM', r.pick(GEO_KEYS), this.member(), this.member()] })],
      [2, () => ({ args: ['ZRANGE', this.key(), '0', '-1', 'WITHSCORES'], compare: sameUpToDistanceBits })],
      [0.5, () => ({ args: ['OBJECT', 'ENCODING', this.key()] })],
      [0.5, () => ({ args: ['TYPE', this.key()] })],
      [0.3, () => ({ args: ['SET', STRING, 'v'] })],
      [0.2, () => {
        const k = r.pick(GEO_KEYS);
        this.added.delete(k);
        this.placedIn.delete(k);
        return { args: ['DEL', k] };
      }],
      [0.3, () => ({ args: [r.pick(['GEOADD', 'GEODIST', 'GEOSEARCH', 'GEORADIUS', 'GEOSEARCHSTORE']), this.key()] })],
    ])();
  }

  sequence(n: number): DiffCommand[] {
    const out: DiffCommand[] = [];
    for (let i = 0; i < n; i++) out.push(this.next());
    return out;
  }
}
