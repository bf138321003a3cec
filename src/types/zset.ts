/** Placeholder until the zset type lands: no TypeOps yet. */
import type { TypeOps } from './type-ops.js';

export const zsetOps: TypeOps | null = null;
