/** Replies shared by the stream commands: entries and ranges of entries. */
import type { Exec } from '../shard/exec.js';
import { Tunable } from '../config/tunables.js';
import { replyBulk } from './bulk-reply.js';
import { type NodeLimits, type StreamId, formatId, streamRange } from '../types/stream.js';

const LIMITS: NodeLimits = { maxBytes: 0, maxEntries: 0 };

/** The shard's stream node limits (stream-node-max-bytes/-entries), in one object reused by every call. */
export function nodeLimits(x: Exec): NodeLimits {
  LIMITS.maxBytes = x.shard.tunables[Tunable.StreamNodeMaxBytes];
  LIMITS.maxEntries = x.shard.tunables[Tunable.StreamNodeMaxEntries];
  return LIMITS;
}

/** Replies one entry: [id, [field, value, ...]]. */
export function replyEntry(x: Exec, id: StreamId, fields: Uint8Array[]): void {
  x.r.array(2);
  x.r.bulkString(formatId(id));
  x.r.array(fields.length);
  for (const f of fields) replyBulk(x, f, 0, f.length);
}

/** Replies the entries of [start, end] (streamReplyWithRange without groups). */
export function replyRange(x: Exec, v: number, start: StreamId, end: StreamId, rev: boolean, count: number): void {
  const a = x.ks.arena;
  const ids: StreamId[] = [];
  const all: Uint8Array[][] = [];
  streamRange(a, v, start, end, rev, count, (id, f) => {
    ids.push(id);
    all.push(f);
  });
  x.r.array(ids.length);
  for (let k = 0; k < ids.length; k++) replyEntry(x, ids[k], all[k]);
}

