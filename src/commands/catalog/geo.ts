/** The geo family's commands (see catalog/define.ts for the fields). */
import type { CommandMeta, KeySpec } from './meta.js';
import { ONE_KEY, def, ks } from './define.js';

/** GEORADIUS[BYMEMBER]'s STORE / STOREDIST destination, found by keyword from argument `from`. */
function storeSpec(keyword: string, from: number): KeySpec {
  return {
    flags: ['OW', 'update'],
    beginSearch: { type: 'keyword', keyword, startFrom: from },
    findKeys: { type: 'range', lastKey: 0, step: 1, limit: 0 },
  };
}

const SEARCH = 'O(N+log(M)), N being the number of elements in the grid-aligned bounding box around the shape and M the number of items inside the shape.';
const RADIUS = 'O(N+log(M)), N being the number of elements in the bounding box of the circle and M the number of items in the index.';
const UNITS: [string, string] = ['7.0.0', 'Unit names in any case.'];

export const GEO: CommandMeta[] = [
  def({
    name: 'geoadd', arity: -5, flags: ['write', 'denyoom'], keys: ONE_KEY,
    acl: ['write', 'geo', 'slow'], keySpecs: [ks(['RW', 'update'], 1)],
    group: 'geo', since: '3.2.0',
    summary: 'Adds members at given positions to a geospatial index (a sorted set), creating the key when missing',
    complexity: 'O(log N) per member added, N being the index size.',
    route: 'keys',
    history: [['6.2.0', 'CH, NX and XX options.']],
  }),
  def({
    name: 'geodist', arity: -4, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'geo', 'slow'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'geo', since: '3.2.0',
    summary: 'Returns the distance between two members of a geospatial index',
    complexity: 'O(log N), N being the index size.',
    route: 'keys',
  }),
  def({
    name: 'geohash', arity: -2, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'geo', 'slow'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'geo', since: '3.2.0',
    summary: 'Returns the standard 11-character geohash of members of a geospatial index',
    complexity: 'O(log N) per member, N being the index size.',
    route: 'keys',
  }),
  def({
    name: 'geopos', arity: -2, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'geo', 'slow'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'geo', since: '3.2.0',
    summary: 'Returns the longitude and latitude of members of a geospatial index',
    complexity: 'O(N), N being the number of members asked for.',
    route: 'keys',
  }),
  def({
    name: 'georadius', arity: -6, flags: ['write', 'denyoom', 'movablekeys'], keys: ONE_KEY,
    acl: ['write', 'geo', 'slow'],
    keySpecs: [ks(['RO', 'access'], 1), storeSpec('STORE', 6), storeSpec('STOREDIST', 6)],
    group: 'geo', since: '3.2.0',
    summary: 'Returns (or stores) the members of a geospatial index within a radius of a position',
    complexity: RADIUS,
    route: 'keys',
    docFlags: ['deprecated'], deprecatedSince: '6.2.0', replacedBy: '`GEOSEARCH` and `GEOSEARCHSTORE` with `BYRADIUS`',
    history: [['6.2.0', 'ANY option for COUNT.'], UNITS],
  }),
  def({
    name: 'georadius_ro', arity: -6, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'geo', 'slow'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'geo', since: '3.2.10',
    summary: 'Returns the members of a geospatial index within a radius of a position (read-only GEORADIUS)',
    complexity: RADIUS,
    route: 'keys',
    docFlags: ['deprecated'], deprecatedSince: '6.2.0', replacedBy: '`GEOSEARCH` with `BYRADIUS`',
    history: [['6.2.0', 'ANY option for COUNT.']],
  }),
  def({
    name: 'georadiusbymember', arity: -5, flags: ['write', 'denyoom', 'movablekeys'], keys: ONE_KEY,
    acl: ['write', 'geo', 'slow'],
    keySpecs: [ks(['RO', 'access'], 1), storeSpec('STORE', 5), storeSpec('STOREDIST', 5)],
    group: 'geo', since: '3.2.0',
    summary: 'Returns (or stores) the members of a geospatial index within a radius of one of its members',
    complexity: RADIUS,
    route: 'keys',
    docFlags: ['deprecated'], deprecatedSince: '6.2.0', replacedBy: '`GEOSEARCH` and `GEOSEARCHSTORE` with `BYRADIUS` and `FROMMEMBER`',
    history: [UNITS],
  }),
  def({
    name: 'georadiusbymember_ro', arity: -5, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'geo', 'slow'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'geo', since: '3.2.10',
    summary: 'Returns the members of a geospatial index within a radius of one of its members (read-only GEORADIUSBYMEMBER)',
    complexity: RADIUS,
    route: 'keys',
    docFlags: ['deprecated'], deprecatedSince: '6.2.0', replacedBy: '`GEOSEARCH` with `BYRADIUS` and `FROMMEMBER`',
  }),
  def({
    name: 'geosearch', arity: -7, flags: ['readonly'], keys: ONE_KEY,
    acl: ['read', 'geo', 'slow'], keySpecs: [ks(['RO', 'access'], 1)],
    group: 'geo', since: '6.2.0',
    summary: 'Returns the members of a geospatial index within a circle or a box around a position or a member',
    complexity: SEARCH,
    route: 'keys',
    history: [UNITS],
  }),
  def({
    name: 'geosearchstore', arity: -8, flags: ['write', 'denyoom'], keys: [1, 2, 1],
    acl: ['write', 'geo', 'slow'], keySpecs: [ks(['OW', 'update'], 1), ks(['RO', 'access'], 2)],
    group: 'geo', since: '6.2.0',
    summary: 'Stores the members of a geospatial index within a circle or a box (as GEOSEARCH finds them) in another key',
    complexity: SEARCH,
    route: 'keys',
    history: [UNITS],
  }),
];
