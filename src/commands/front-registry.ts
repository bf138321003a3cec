/**
 * Handlers of the commands that run on the front thread, by full name.
 * Kept apart from registry.ts so shard workers never load front code.
 */
import type { FrontHandler } from '../front/front-call.js';
import { connectionHandlers } from './connection.js';
import { serverHandlers } from './server.js';
import { transactionHandlers } from './transactions.js';

export type { FrontHandler };

export const FRONT_HANDLERS: Record<string, FrontHandler> = { ...connectionHandlers, ...serverHandlers, ...transactionHandlers };
