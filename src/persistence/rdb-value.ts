/**
 * A key's value as the RDB format sees it: the elements, whatever encoding
 * Shoal or Redis keeps them in. The RDB writer picks Redis's compact
 * encodings from these (listpack, intset, quicklist); the reader turns every
 * encoding of every RDB version into them. The shards convert between these
 * and their arena values (persistence/values.ts).
 */
export type RdbValue =
  | { type: 'string'; value: Uint8Array }
  | { type: 'list'; items: Uint8Array[] }
  | { type: 'set'; members: Uint8Array[] }
  | {
      type: 'hash';
      pairs: Array<[field: Uint8Array, value: Uint8Array]>;
      /** Field expire-at times (ms since the epoch, 0: none), by pair; absent when no field has one. */
      ttls?: number[];
    }
  | { type: 'zset'; entries: Array<[member: Uint8Array, score: number]> }
  | { type: 'stream'; stream: StreamModel };

/** A stream ID: (ms << 64) | seq. */
export type StreamIdValue = bigint;

/**
 * A stream as plain data: its node listpacks (Redis's layout, keyed by
 * master ID), counters and consumer groups (persistence/rdb-stream.ts).
 */
export interface StreamModel {
  nodes: Array<[StreamIdValue, Uint8Array]>;
  length: number;
  lastId: StreamIdValue;
  firstId: StreamIdValue;
  maxDeletedId: StreamIdValue;
  entriesAdded: bigint;
  groups: GroupModel[];
}

export interface GroupModel {
  name: Uint8Array;
  lastId: StreamIdValue;
  entriesRead: bigint;
  pel: Array<{ id: StreamIdValue; deliveryTime: number; deliveryCount: number }>;
  consumers: Array<{ name: Uint8Array; seenTime: number; pel: StreamIdValue[] }>;
}


/** One key read from an RDB file. */
export interface RdbEntry {
  db: number;
  key: Uint8Array;
  value: RdbValue;
  /** Absolute expiry in ms since the epoch, or -1. */
  expireAt: number;
  /** LRU idle time in seconds (RDB_OPCODE_IDLE), or -1. */
  idle: number;
  /** LFU frequency (RDB_OPCODE_FREQ), or -1. */
  freq: number;
}

/** Thresholds that choose the compact encodings (Redis's *-max-listpack-* and set-max-intset-entries). */
export interface EncodingLimits {
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  setMaxIntsetEntries: number;
  /** list-max-listpack-size: negative -1..-5 = 4/8/16/32/64 KiB per node, positive = entries per node. */
  listMaxListpackSize: number;
}

export const DEFAULT_LIMITS: EncodingLimits = {
  hashMaxListpackEntries: 512,
  hashMaxListpackValue: 64,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  listMaxListpackSize: -2,
};

/** A file or payload that cannot be read: where and why. */
export class RdbError extends Error {
  constructor(
    message: string,
    /** Byte offset in the input where reading failed. */
    readonly offset: number,
  ) {
    super(message);
  }
}
