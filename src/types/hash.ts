/** Placeholder until the hash type lands: no TypeOps yet. */
import type { TypeOps } from './type-ops.js';

export const hashOps: TypeOps | null = null;
