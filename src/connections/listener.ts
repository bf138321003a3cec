/**
 * The sockets of one thread: it listens on the server's port with
 * `reusePort` (the kernel spreads new connections over every thread's
 * listening socket), accepts within `maxclients` (counted across threads),
 * and wires each socket to the dispatcher. It also closes idle clients
 * after `timeout` seconds, as Redis does.
 */
import net from 'node:net';
import type { Connection } from './connection.js';

export interface ListenOptions {
  port: number;
  host: string | undefined;
  /** Listen with SO_REUSEPORT (every thread on one port). */
  reusePort: boolean;
}

/** Listens; resolves with the port bound (the one asked for, or the kernel's choice for port 0). */
export function listen(server: net.Server, opts: ListenOptions | { path: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const onListening = () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr !== null ? addr.port : 0);
    };
    if ('path' in opts) server.listen({ path: opts.path }, onListening);
    else server.listen({ port: opts.port, host: opts.host, reusePort: opts.reusePort }, onListening);
  });
}

/**
 * Closes clients idle for longer than `timeout` seconds (0: never), except
 * those Redis also spares: blocked clients (their own timeout applies) and
 * clients in the middle of a MULTI or held by a command still running.
 */
export function closeIdle(conns: Iterable<Connection>, timeoutSec: number, now: number, kill: (c: Connection) => void): void {
  if (timeoutSec <= 0) return;
  const limit = timeoutSec * 1000;
  for (const c of conns) {
    if (c.closed || c.closeAfterWrite || c.blockedSeq >= 0 || c.busy || !c.idle) continue;
    if (now - c.lastInteraction > limit) kill(c);
  }
}
