/**
 * The command table a thread dispatches with: every catalog command joined
 * with its handler (a shard handler id, or a connection-side handler) and,
 * for multi-key commands, how it crosses shards (commands/cross-shard.ts).
 *
 * Looking a command up builds no string: the name's bytes are hashed
 * case-insensitively and compared with the entries of that hash, as Redis
 * and Dragonfly look commands up without allocating.
 */
import { CATALOG } from '../commands/catalog.js';
import type { CrossShard } from '../commands/across.js';
import { CROSS_SHARD } from '../commands/cross-shard.js';
import type { CommandMeta } from '../commands/catalog/meta.js';
import { MAY_REPLICATE, SHARD_HANDLER_KEYS, shardHandlerId } from '../commands/registry.js';
import type { HandlerKeys } from '../shard/exec.js';
import { connectionHandlers } from './connection-family.js';
import type { FrontHandler } from './front-call.js';
import { persistenceFrontHandlers } from './persistence-family.js';
import { aofFrontHandlers } from './aof-family.js';
import { functionFrontHandlers, scriptingFrontHandlers } from './scripting-family.js';
import { pubsubFrontHandlers } from './pubsub-family.js';
import { observabilityFrontHandlers } from './observability-family.js';
import { trackingFrontHandlers } from './tracking-family.js';
import { latencyFrontHandlers } from './latency-family.js';
import { memoryFrontHandlers } from './memory-family.js';
import { serverHandlers } from './server-family.js';
import { transactionHandlers } from './transactions-family.js';
import { hyperloglogFrontHandlers } from '../commands/hyperloglog.js';
import { streamFrontHandlers } from '../commands/stream-help.js';

/**
 * Handlers of the commands that run on their connection's thread rather
 * than on a shard (the connection, server, persistence and transactions families), by
 * full name. They act on connections and the server, never on keys.
 */
const FRONT_HANDLERS: Record<string, FrontHandler> = { ...connectionHandlers, ...serverHandlers, ...persistenceFrontHandlers, ...aofFrontHandlers, ...scriptingFrontHandlers, ...functionFrontHandlers, ...pubsubFrontHandlers, ...observabilityFrontHandlers, ...trackingFrontHandlers, ...latencyFrontHandlers, ...memoryFrontHandlers, ...transactionHandlers, ...hyperloglogFrontHandlers, ...streamFrontHandlers };

export interface CommandEntry {
  meta: CommandMeta;
  /** Lower-case full name: "get", "client|list". */
  fullName: string;
  /** Shard handler id, or -1 for commands run on the connection's thread. */
  id: number;
  front: FrontHandler | null;
  /** What it does when its keys span shards (null: single-key or keyless). */
  cross: CrossShard | null;
  /** Runs before AUTH (the `no_auth` flag): AUTH, HELLO. */
  noAuth: boolean;
  /** May block the client (BLPOP ...): the connection's later commands wait for its reply. */
  blocking: boolean;
  /** Keys found through key specs (numkeys arguments, SORT's STORE), not firstKey..lastKey. */
  movable: boolean;
  /** Where its shard handler finds its keys (null for commands run on the connection's thread). */
  keys: HandlerKeys | null;
  /** Writes (CLIENT PAUSE WRITE holds it). */
  write: boolean;
  /** Redis's may_replicate flag (PFCOUNT, PUBLISH): CLIENT PAUSE WRITE holds it too. */
  mayReplicate: boolean;
  /** EVAL and EVAL_RO: argument 1 is a script body (every thread caches it before it runs). */
  scriptBody: boolean;
  /** Subcommands of a container command (CLIENT, CONFIG ...), or null. */
  subs: CommandTable | null;
}

/** FNV-1a over the ASCII-lower-cased bytes. */
function nameHash(u8: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < len; i++) {
    let c = u8[off + i];
    if (c >= 65 && c <= 90) c += 32;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

export class CommandTable {
  private readonly byHash = new Map<number, { name: Uint8Array; entry: CommandEntry }[]>();

  add(name: string, entry: CommandEntry): void {
    const bytes = new TextEncoder().encode(name);
    const h = nameHash(bytes, 0, bytes.length);
    let list = this.byHash.get(h);
    if (list === undefined) this.byHash.set(h, (list = []));
    list.push({ name: bytes, entry });
  }

  /** The command named by bytes [off, off + len) of u8, any case; undefined when there is none. */
  lookup(u8: Uint8Array, off: number, len: number): CommandEntry | undefined {
    if (len > 64) return undefined;
    const list = this.byHash.get(nameHash(u8, off, len));
    if (list === undefined) return undefined;
    outer: for (let k = 0; k < list.length; k++) {
      const name = list[k].name;
      if (name.length !== len) continue;
      for (let i = 0; i < len; i++) {
        let c = u8[off + i];
        if (c >= 65 && c <= 90) c += 32;
        if (c !== name[i]) continue outer;
      }
      return list[k].entry;
    }
    return undefined;
  }
}

function entryFor(meta: CommandMeta, fullName: string, subs: CommandTable | null): CommandEntry {
  const id = subs === null ? shardHandlerId(fullName) : -1;
  return {
    meta,
    fullName,
    id,
    front: FRONT_HANDLERS[fullName] ?? null,
    cross: CROSS_SHARD[fullName] ?? null,
    noAuth: meta.flags.includes('no_auth'),
    blocking: meta.flags.includes('blocking'),
    movable: meta.flags.includes('movablekeys'),
    keys: id >= 0 ? SHARD_HANDLER_KEYS[id] : null,
    scriptBody: fullName === 'eval' || fullName === 'eval_ro',
    write: meta.flags.includes('write'),
    mayReplicate: MAY_REPLICATE.has(fullName),
    subs,
  };
}

/** Binds every catalog command to its handler; a command without one is a startup error. */
export function buildCommandTable(catalog: CommandMeta[] = CATALOG): CommandTable {
  const table = new CommandTable();
  for (const meta of catalog) {
    let subs: CommandTable | null = null;
    if (meta.subcommands !== undefined) {
      subs = new CommandTable();
      for (const sub of meta.subcommands) {
        const full = `${meta.name}|${sub.name}`;
        const e = entryFor(sub, full, null);
        if (e.id < 0 && e.front === null) throw new Error(`command '${full}' has no handler`);
        subs.add(sub.name, e);
      }
    }
    const e = entryFor(meta, meta.name, subs);
    // A command without a shard handler must always take its hops (MIGRATE).
    const alwaysHops = e.cross?.kind === 'hops' && e.cross.hidden !== undefined;
    if (subs === null && e.id < 0 && e.front === null && !alwaysHops) throw new Error(`command '${meta.name}' has no handler`);
    table.add(meta.name, e);
  }
  return table;
}
