/**
 * Binds the catalog (what each command is) to its implementation (what it
 * does). Each family module exports handlers by full command name
 * ("get", "object|encoding"); shard handlers run on the shard threads, front
 * handlers on the front. Handler ids are positions in the sorted list of
 * shard handler names, so the front and every shard agree on them without
 * talking.
 */
import type { Exec } from '../shard/exec.js';
import { stringHandlers } from './strings.js';
import { keyHandlers } from './keys.js';

export type ShardHandler = (x: Exec) => void;

const ALL: Record<string, ShardHandler> = { ...stringHandlers, ...keyHandlers };

export const SHARD_HANDLER_NAMES: readonly string[] = Object.keys(ALL).sort();
export const SHARD_HANDLERS: readonly ShardHandler[] = SHARD_HANDLER_NAMES.map((n) => ALL[n]);
const IDS = new Map(SHARD_HANDLER_NAMES.map((n, i) => [n, i]));

/** The id carried in request frames for a shard command, or -1. */
export function shardHandlerId(fullName: string): number {
  return IDS.get(fullName) ?? -1;
}
