/**
 * A real library whose work is Lua scripts: Bull (v4, on ioredis) runs its
 * queue as scripts over keys it declares and keys it builds inside the
 * scripts (undeclared, on any shard), blocking moves (BRPOPLPUSH), and
 * pub/sub for its global events (PUBLISH from inside the scripts). The same
 * scenario — jobs that fail once and are retried with a backoff, delayed
 * jobs, four concurrent workers — runs against redis-server and against
 * Shoal on 4 threads, and must end the same way: every job done exactly
 * once, with the same attempts, and every completion announced.
 */
import Queue from 'bull';
import { describe, expect, it } from 'vitest';
import { startRedis, startShoal, type ServerHandle } from '../helpers/servers.js';

const JOBS = 60;

interface Outcome {
  /** Per job number: the attempts its successful run was (1 or 2). */
  doneAt: Record<number, number>;
  /** Successful runs per job number (must all be 1). */
  runs: Record<number, number>;
  counts: Record<string, number>;
  globalCompleted: number;
}

async function runScenario(server: ServerHandle): Promise<Outcome> {
  const redis = { host: '127.0.0.1', port: server.port };
  const queue = new Queue<{ n: number }>('jobs', { redis });
  // A second instance listens for the global events (a subscriber on its own connection).
  const listener = new Queue('jobs', { redis });
  const doneAt: Record<number, number> = {};
  const runs: Record<number, number> = {};
  let globalCompleted = 0;
  try {
    await listener.isReady();
    const allAnnounced = new Promise<void>((resolve) => {
      void listener.on('global:completed', () => {
        if (++globalCompleted === JOBS) resolve();
      });
    });
    await queue.isReady();
    const allDone = new Promise<void>((resolve, reject) => {
      void queue.process(4, async (job) => {
        const n = job.data.n;
        // Every fifth job fails its first attempt and is retried after a backoff.
        if (n % 5 === 0 && job.attemptsMade === 0) throw new Error(`job ${n} fails once`);
        runs[n] = (runs[n] ?? 0) + 1;
        doneAt[n] = job.attemptsMade + 1;
        return n * 2;
      });
      queue.on('completed', () => {
        if (Object.keys(doneAt).length === JOBS) resolve();
      });
      queue.on('error', reject);
    });
    for (let n = 0; n < JOBS; n++) {
      // Every seventh job waits 200 ms before it may run.
      await queue.add({ n }, { attempts: 3, backoff: 50, delay: n % 7 === 0 ? 200 : 0, removeOnComplete: false });
    }
    await Promise.race([
      Promise.all([allDone, allAnnounced]),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`not done: ${Object.keys(doneAt).length}/${JOBS} jobs, ${globalCompleted} announced`)), 30_000)),
    ]);
    const counts = await queue.getJobCounts();
    return { doneAt, runs, counts: { ...counts }, globalCompleted };
  } finally {
    await queue.close();
    await listener.close();
  }
}

describe('Bull job queue (scripts, blocking moves, pub/sub)', () => {
  it('ends the same on Shoal (4 threads) as on redis-server: every job once, retries and delays kept', async () => {
    const [redis, shoal] = await Promise.all([startRedis(), startShoal({ threads: 4 })]);
    try {
      const expected = await runScenario(redis);
      const got = await runScenario(shoal);
      // The scenario itself: every job ran to success once; the failing ones on their second attempt.
      for (let n = 0; n < JOBS; n++) {
        expect(expected.runs[n]).toBe(1);
        expect(expected.doneAt[n]).toBe(n % 5 === 0 ? 2 : 1);
      }
      expect(got).toEqual(expected);
      expect(got.counts).toMatchObject({ completed: JOBS, failed: 0, waiting: 0, active: 0, delayed: 0 });
    } finally {
      await Promise.all([redis.stop(), shoal.stop()]);
    }
  }, 90_000);
});
