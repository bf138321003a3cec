/**
 * The servers and runner every differential suite needs: a redis-server and
 * a Shoal with 4 shards for the whole file, connection pairs, and a `run`
 * that sends a command sequence to both and reports a mismatch with its seed,
 * the way to re-run it, and Shoal's output if it died.
 */
import { afterAll, beforeAll } from 'vitest';
import { type DiffCommand, DiffMismatch, runDifferential } from './differential.js';
import { type RawClient, type ServerHandle, rawClient, startAll, startRedis, startShoal } from './servers.js';

export interface DifferentialSuite {
  connectPair(): Promise<[RawClient, RawClient]>;
  /**
   * `replay`: the SEED value that replays this run, when it is not the seed
   * alone (a suite whose settings depend on the seed's position in the list).
   */
  run(ref: RawClient, tgt: RawClient, commands: DiffCommand[], label: string, seed: number, replay?: string): Promise<void>;
}

/** Call inside a `describe`: starts both servers for it and stops them after. */
export function useDifferentialServers(name: string, file: string): DifferentialSuite {
  let redis: ServerHandle;
  let shoal: ServerHandle;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    [redis, shoal] = await startAll(startRedis(), startShoal({ shards: 4 }));
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await Promise.all([redis?.stop(), shoal?.stop()]);
  });

  return {
    async connectPair() {
      const pair = await Promise.all([rawClient(redis.port), rawClient(shoal.port)]);
      clients.push(...pair);
      return pair;
    },
    async run(ref, tgt, commands, label, seed, replay) {
      try {
        await runDifferential({
          reference: ref,
          target: tgt,
          commands,
          label,
          referenceName: 'redis',
          targetName: shoal.name,
          rerun: `SEED=${replay ?? seed} npx vitest run ${file}`,
        });
      } catch (e) {
        if (e instanceof DiffMismatch) {
          e.message = `[${name} seed=${seed}] ${e.message}`;
          if (shoal.exited) e.message += `\n${shoal.name} has exited; its output:\n${shoal.output().slice(-4000)}`;
        }
        throw e;
      }
    },
  };
}
