/**
 * notify-keyspace-events: the event classes as Redis numbers them, and the
 * setting's letters both ways (Redis's keyspaceEventsStringToFlags and
 * keyspaceEventsFlagsToString, so CONFIG GET shows what Redis shows).
 */
export const enum Notify {
  Keyspace = 1 << 0,
  Keyevent = 1 << 1,
  Generic = 1 << 2,
  String = 1 << 3,
  List = 1 << 4,
  Set = 1 << 5,
  Hash = 1 << 6,
  Zset = 1 << 7,
  Expired = 1 << 8,
  Evicted = 1 << 9,
  Stream = 1 << 10,
  KeyMiss = 1 << 11,
  Module = 1 << 13,
  New = 1 << 14,
}

/** 'A': every class but key misses and new keys. */
const ALL = Notify.Generic | Notify.String | Notify.List | Notify.Set | Notify.Hash | Notify.Zset | Notify.Expired | Notify.Evicted | Notify.Stream | Notify.Module;

const LETTERS: [string, number][] = [
  ['g', Notify.Generic],
  ['$', Notify.String],
  ['l', Notify.List],
  ['s', Notify.Set],
  ['h', Notify.Hash],
  ['z', Notify.Zset],
  ['x', Notify.Expired],
  ['e', Notify.Evicted],
  ['t', Notify.Stream],
  ['d', Notify.Module],
  ['n', Notify.New],
];

/** The classes a setting names, or -1 for a letter Redis does not know. */
export function parseKeyspaceEvents(s: string): number {
  let flags = 0;
  for (const ch of s) {
    if (ch === 'A') flags |= ALL;
    else if (ch === 'K') flags |= Notify.Keyspace;
    else if (ch === 'E') flags |= Notify.Keyevent;
    else if (ch === 'm') flags |= Notify.KeyMiss;
    else {
      const l = LETTERS.find(([c]) => c === ch);
      if (l === undefined) return -1;
      flags |= l[1];
    }
  }
  return flags;
}

/**
 * The letters of a set of classes, as CONFIG GET shows them. Redis's 'A'
 * hides an 'n' given with it (the class stays on): `exact` keeps it, for
 * storing the setting.
 */
export function formatKeyspaceEvents(flags: number, exact = false): string {
  let s = '';
  if ((flags & ALL) === ALL) s = exact && flags & Notify.New ? 'An' : 'A';
  else for (const [c, f] of LETTERS) if (flags & f) s += c;
  if (flags & Notify.Keyspace) s += 'K';
  if (flags & Notify.Keyevent) s += 'E';
  if (flags & Notify.KeyMiss) s += 'm';
  return s;
}
