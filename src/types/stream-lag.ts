/**
 * Consumer group entries-read and lag as Redis 7.0 computes them
 * (streamEstimateDistanceFromFirstEverEntry, streamRangeHasTombstones):
 * a group's counter is exact while nothing fragments the stream between
 * it and the end, and unknown (-1, lag null) otherwise.
 */
import type { StreamId } from './stream.js';

/** The counters a stream keeps in its header. */
export interface StreamCounters {
  entriesAdded: bigint;
  length: number;
  lastId: StreamId;
  firstId: StreamId;
  maxDeletedId: StreamId;
}

/** SCG_INVALID_ENTRIES_READ. */
export const INVALID_ENTRIES_READ = -1n;

/** How many entries precede and include `id` since the stream began, when that is known; else -1. */
export function estimateEntriesRead(s: StreamCounters, id: StreamId): bigint {
  if (s.entriesAdded === 0n) return 0n;
  if (s.length === 0 && id <= s.lastId) return s.entriesAdded;
  if (id === s.lastId) return s.entriesAdded;
  if (id > s.lastId) return INVALID_ENTRIES_READ;
  if (s.maxDeletedId === 0n || s.maxDeletedId < s.firstId) {
    if (id < s.firstId) return s.entriesAdded - BigInt(s.length);
    if (id === s.firstId) return s.entriesAdded - BigInt(s.length) + 1n;
  }
  return INVALID_ENTRIES_READ;
}

/** Whether a deleted entry may lie in [start, end] (streamRangeHasTombstones). */
export function rangeHasTombstones(s: StreamCounters, start: StreamId, end: StreamId): boolean {
  if (s.length === 0 || s.maxDeletedId === 0n) return false;
  if (s.firstId > s.maxDeletedId) return false;
  return start <= s.maxDeletedId && s.maxDeletedId <= end;
}

/** A group's lag (XINFO's `lag`), or null when it cannot be known. */
export function groupLag(s: StreamCounters, lastId: StreamId, entriesRead: bigint): bigint | null {
  if (s.entriesAdded === 0n) return 0n;
  if (entriesRead !== INVALID_ENTRIES_READ && !rangeHasTombstones(s, lastId, (1n << 128n) - 1n)) return s.entriesAdded - entriesRead;
  const est = estimateEntriesRead(s, lastId);
  return est === INVALID_ENTRIES_READ ? null : s.entriesAdded - est;
}
