/**
 * Streams between the arena and their plain form (StreamModel, what RDB
 * files, DUMP payloads and moves between shards carry: persistence/
 * rdb-stream.ts writes and reads its bytes).
 */
import type { Arena } from 'native-free-arena';
import { RdbCursor } from '../persistence/rdb-cursor.js';
import { RdbError, type GroupModel, type StreamModel } from '../persistence/rdb-value.js';
import { TYPE_STREAM_LISTPACKS_2, encodeStreamBody, readStreamBody } from '../persistence/rdb-stream.js';
import {
  type StreamId, adoptNode, lastId, maxDeletedId, entriesAdded, firstIdField, nodeBytes, nodeCount, nodeMaster,
  setMeta, streamCreate, streamFree, streamLength,
} from './stream.js';
import { type Consumer, type Group, IdMap, type PendingEntry, groupKey, groupsFor, groupsOf, sortedConsumers, sortedGroups } from './stream-groups.js';
import { sliceBytes } from '../util/bytes.js';

// ---- arena <-> model ----------------------------------------------------------------

export function streamToModel(a: Arena, v: number): StreamModel {
  const nodes: Array<[StreamId, Uint8Array]> = [];
  const n = nodeCount(a, v);
  for (let i = 0; i < n; i++) {
    const b = nodeBytes(a, v, i);
    nodes.push([nodeMaster(a, v, i), sliceBytes(b, 0, b.length)]);
  }
  const groups: GroupModel[] = sortedGroups(groupsOf(a, v)).map((g) => ({
    name: g.name,
    lastId: g.lastId,
    entriesRead: g.entriesRead,
    pel: pelList(g.pel).map((e) => ({ id: e.id, deliveryTime: e.deliveryTime, deliveryCount: e.deliveryCount })),
    consumers: sortedConsumers(g).map((c) => ({ name: c.name, seenTime: c.seenTime, pel: pelList(c.pel).map((e) => e.id) })),
  }));
  return {
    nodes,
    length: streamLength(a, v),
    lastId: lastId(a, v),
    firstId: firstIdField(a, v),
    maxDeletedId: maxDeletedId(a, v),
    entriesAdded: entriesAdded(a, v),
    groups,
  };
}

function pelList(m: IdMap<PendingEntry>): PendingEntry[] {
  const out: PendingEntry[] = [];
  for (let i = 0; i < m.size; i++) out.push(m.valueAt(i));
  return out;
}

/** Builds a stream value from a model (checked by readStreamBody); returns the value word. */
export function streamFromModel(a: Arena, m: StreamModel): number {
  const v = streamCreate(a);
  for (const [master, lp] of m.nodes) adoptNode(a, v, master, lp);
  setMeta(a, v, m.length, m.lastId, m.firstId, m.maxDeletedId, m.entriesAdded);
  if (m.groups.length > 0) {
    const groups = groupsFor(a, v);
    for (const gm of m.groups) {
      const g: Group = { name: gm.name, lastId: gm.lastId, entriesRead: gm.entriesRead, pel: new IdMap(), consumers: new Map() };
      const orphan = new Map<StreamId, { deliveryTime: number; deliveryCount: number }>();
      for (const e of gm.pel) orphan.set(e.id, e);
      for (const cm of gm.consumers) {
        const c: Consumer = { name: cm.name, seenTime: cm.seenTime, pel: new IdMap() };
        for (const id of cm.pel) {
          const e = orphan.get(id);
          if (e === undefined) {
            streamFree(a, v);
            throw new RdbError('Stream consumer pending entry not in the group pending list', 0);
          }
          orphan.delete(id);
          const pe: PendingEntry = { id, consumer: c, deliveryTime: e.deliveryTime, deliveryCount: e.deliveryCount };
          g.pel.set(id, pe);
          c.pel.set(id, pe);
        }
        g.consumers.set(groupKey(c.name), c);
      }
      if (orphan.size > 0) {
        streamFree(a, v);
        throw new RdbError('Stream group pending entry without a consumer', 0);
      }
      groups.set(groupKey(g.name), g);
    }
  }
  return v;
}

/** Serialized form for moves between shards: the RDB body. */
export function encodeStreamPayload(a: Arena, v: number): Uint8Array {
  return encodeStreamBody(streamToModel(a, v));
}

export function decodeStreamPayload(a: Arena, src: Uint8Array, off: number, end: number): number {
  return streamFromModel(a, readStreamBody(new RdbCursor(src, off, end), TYPE_STREAM_LISTPACKS_2));
}

