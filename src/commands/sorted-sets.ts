/** The sorted-set family (placeholder until it lands). */
import type { ShardHandler } from './registry.js';

export const sortedSetHandlers: Record<string, ShardHandler> = {};
