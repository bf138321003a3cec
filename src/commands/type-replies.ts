/** Replies that multi-hop strategies read or give about a key's type. */
import { bytes } from '../scheduler/transaction.js';

export const WRONGTYPE_REPLY = bytes('-WRONGTYPE Operation against a key holding the wrong kind of value\r\n');

/** Whether a TYPE reply (+name) names `type`. */
export function isType(reply: Uint8Array, type: string): boolean {
  if (reply.length !== type.length + 3) return false;
  for (let i = 0; i < type.length; i++) if (reply[i + 1] !== type.charCodeAt(i)) return false;
  return true;
}
