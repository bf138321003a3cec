/**
 * Handlers of the commands that run on their connection's thread rather
 * than on a shard (the connection, server and transactions families), by
 * full name. They act on connections and the server, never on keys.
 */
import type { FrontHandler } from '../front-call.js';
import { connectionHandlers } from './connection.js';
import { serverHandlers } from './server.js';
import { transactionHandlers } from './transactions.js';

export const FRONT_HANDLERS: Record<string, FrontHandler> = { ...connectionHandlers, ...serverHandlers, ...transactionHandlers };
