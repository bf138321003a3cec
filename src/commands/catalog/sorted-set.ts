/** The sorted-set family's commands (see catalog/define.ts for the fields). */
import type { CommandMeta } from '../meta.js';

export const SORTED_SET: CommandMeta[] = [];
