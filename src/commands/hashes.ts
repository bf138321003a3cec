/** The hash family (placeholder until it lands). */
import type { ShardHandler } from './registry.js';

export const hashHandlers: Record<string, ShardHandler> = {};
