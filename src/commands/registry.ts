/**
 * Binds the catalog (what each command is) to its shard implementation (what
 * it does on the shard owning its keys). Each keyspace family exports
 * handlers by full command name ("get", "object|encoding"). Handler ids are
 * positions in the sorted list of handler names, so every thread agrees on
 * them without talking. `SHARD_COMMANDS` is what every shard is built with:
 * the handlers, and how whole keys move between shards.
 */
import type { HandlerKeys, ShardCommands, ShardHandler } from '../shard/exec.js';
import '../types/types.js';
import { exportEntry, importEntry } from '../types/serialize.js';
import { stringHandlers } from './strings.js';
import { bitmapHandlers } from './bitmaps.js';
import { keyHandlers } from './keys.js';
import { listHandlers } from './lists.js';
import { hashHandlers } from './hashes.js';
import { setHandlers } from './sets.js';
import { sortedSetHandlers } from './sorted-sets.js';
import { geoHandlers } from './geo.js';
import { sortHandlers } from './sort.js';
import { persistenceHandlers, restoreCommand } from './persistence.js';
import { scriptingHandlers } from './scripting.js';
import { pubsubHandlers } from './pubsub.js';
import { hyperloglogHandlers } from './hyperloglog.js';
import { streamHandlers } from './streams.js';
import { CATALOG } from './catalog.js';
import type { CommandMeta } from './catalog/meta.js';

export type { ShardHandler };

const ALL: Record<string, ShardHandler> = {
  ...stringHandlers,
  ...bitmapHandlers,
  ...keyHandlers,
  ...listHandlers,
  ...hashHandlers,
  ...setHandlers,
  ...sortedSetHandlers,
  ...geoHandlers,
  ...sortHandlers,
  ...persistenceHandlers,
  ...scriptingHandlers,
  ...pubsubHandlers,
  ...hyperloglogHandlers,
  ...streamHandlers,
};

export const SHARD_HANDLER_NAMES: readonly string[] = Object.keys(ALL).sort();
const SHARD_HANDLERS: readonly ShardHandler[] = SHARD_HANDLER_NAMES.map((n) => ALL[n]);
const IDS = new Map(SHARD_HANDLER_NAMES.map((n, i) => [n, i]));

/** The id carried in request frames for a shard command, or -1. */
export function shardHandlerId(fullName: string): number {
  return IDS.get(fullName) ?? -1;
}

/**
 * Commands with Redis 7's CMD_MAY_REPLICATE flag, which COMMAND INFO does not
 * show (so the catalog cannot say it): they may propagate though they do not
 * write (PFCOUNT caches a cardinality), so read-only scripts refuse them and
 * CLIENT PAUSE WRITE holds them.
 */
export const MAY_REPLICATE: ReadonlySet<string> = new Set(['pfcount', 'publish', 'spublish']);

function keysByName(): Map<string, HandlerKeys> {
  const out = new Map<string, HandlerKeys>();
  const add = (m: CommandMeta, full: string) => {
    let [first, last, step] = [m.firstKey, m.lastKey, m.step];
    if (m.flags.includes('movablekeys')) {
      // Keys counted by a numkeys argument (LMPOP, ZUNIONSTORE): every
      // argument from the first key on, a superset of the keys, which is
      // safe for lock checks and wake-ups.
      const keynum = m.keySpecs.find((k) => k.beginSearch.type === 'index' && k.findKeys.type === 'keynum');
      if (first <= 0 && keynum !== undefined && keynum.beginSearch.type === 'index' && keynum.findKeys.type === 'keynum') {
        first = keynum.beginSearch.index + keynum.findKeys.firstKey;
      }
      if (first > 0) {
        last = -1;
        step = 1;
      }
    }
    const keys: HandlerKeys = { first, last, step, global: m.route === 'keyspace', write: m.flags.includes('write'), fast: m.flags.includes('fast'), denyoom: m.flags.includes('denyoom'), mayReplicate: MAY_REPLICATE.has(full) };
    // Keys after a keyword (XREAD's STREAMS): found in each command line (shard/exec.ts keySpan).
    const kw = m.keySpecs.find((k) => k.beginSearch.type === 'keyword');
    if (first <= 0 && kw !== undefined && kw.beginSearch.type === 'keyword') {
      keys.after = kw.beginSearch.keyword.toLowerCase();
      keys.afterFrom = kw.beginSearch.startFrom;
    }
    out.set(full, keys);
  };
  for (const m of CATALOG) {
    add(m, m.name);
    for (const sub of m.subcommands ?? []) add(sub, `${m.name}|${sub.name}`);
  }
  return out;
}

const BY_NAME = keysByName();
export const SHARD_HANDLER_KEYS: readonly HandlerKeys[] = SHARD_HANDLER_NAMES.map(
  (n) => BY_NAME.get(n) ?? { first: 0, last: 0, step: 0, global: false, write: false, fast: false, denyoom: false },
);

/** What every shard is built with: the handlers, their names and their keys, by id. */
export const SHARD_COMMANDS: ShardCommands = { handlers: SHARD_HANDLERS, names: SHARD_HANDLER_NAMES, keys: SHARD_HANDLER_KEYS, exportEntry, importEntry, restoreCommand };
