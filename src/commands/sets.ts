/** The set family (placeholder until it lands). */
import type { ShardHandler } from './registry.js';

export const setHandlers: Record<string, ShardHandler> = {};
