/** Placeholder until the set type lands: no TypeOps yet. */
import type { TypeOps } from './type-ops.js';

export const setOps: TypeOps | null = null;
