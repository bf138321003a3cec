/**
 * A test file's pair of servers: a redis-server and a 4-thread Shoal,
 * started before the file's tests and stopped after them, with clients
 * spread over Shoal's threads (each new one on the next thread) and
 * scenarios that must give both servers the same transcript.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { type RawClient, type ServerHandle, startAll, startRedis, startShoal } from './servers.js';
import { spreadConnector } from './threads.js';

export interface ServerPair {
  /** The servers (once the file's beforeAll ran). */
  readonly redis: ServerHandle;
  readonly shoal: ServerHandle;
  /** A client of the server on `port`: on Shoal, each on the next of its threads. Closed after the file. */
  connect(port: number): Promise<RawClient>;
  /** Runs the scenario on redis-server, then on Shoal, and expects the same transcript; resolves Redis's. */
  same(scenario: (port: number) => Promise<string[]>): Promise<string[]>;
}

/** Registers the file's beforeAll/afterAll and returns the pair. */
export function serverPair(): ServerPair {
  const clients: RawClient[] = [];
  const spread = spreadConnector(4);
  let servers: [ServerHandle, ServerHandle] | null = null;
  const started = (): [ServerHandle, ServerHandle] => {
    if (servers === null) throw new Error('serverPair: the servers start in beforeAll');
    return servers;
  };
  beforeAll(async () => {
    servers = await startAll(startRedis(), startShoal({ threads: 4 }));
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await Promise.all((servers ?? []).map((s) => s.stop()));
  });
  return {
    get redis() {
      return started()[0];
    },
    get shoal() {
      return started()[1];
    },
    async connect(port) {
      const c = await spread(port);
      clients.push(c);
      return c;
    },
    async same(scenario) {
      const want = await scenario(started()[0].port);
      const got = await scenario(started()[1].port);
      expect(got).toEqual(want);
      return want;
    },
  };
}
