/**
 * The stream's TypeOps (shard/value-ops.ts): freeing, MEMORY USAGE, and the
 * serialized form moves between shards carry (the RDB body,
 * stream-codec.ts), and defragmentation's moves.
 */
import type { TypeOps } from '../shard/value-ops.js';
import { streamFree, streamMemory, streamRelocate } from './stream.js';
import { decodeStreamPayload, encodeStreamPayload } from './stream-codec.js';

export const streamOps: TypeOps = {
  free: streamFree,
  memory: streamMemory,
  serialize: (a, v) => encodeStreamPayload(a, v),
  deserialize: (a, src, off, end) => decodeStreamPayload(a, src, off, end),
  relocate: (a, v, moving) => streamRelocate(a, v, moving),
};
