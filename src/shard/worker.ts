/**
 * Entry point of a shard worker thread. The thread runs a plain loop: drain
 * the request ring, run the frames, publish replies; when idle, run a step of
 * active expiry every 100 ms (Redis's hz 10) and sleep on the ring's flag
 * until the front publishes more. It never returns to its event loop, so it
 * needs no timers and receives no messages: everything arrives by ring.
 */
import { workerData } from 'node:worker_threads';
import { Shard, type ShardOptions } from './shard.js';

const CRON_MS = 100;
/** Time per cron step given to active expiry (Redis's slow cycle allows 25 ms). */
const EXPIRE_BUDGET_MS = 2;

const shard = new Shard(workerData as ShardOptions);
let nextCron = Date.now() + CRON_MS;

while (!shard.stopped) {
  const busy = shard.drain();
  const now = Date.now();
  if (now >= nextCron) {
    shard.activeExpire(EXPIRE_BUDGET_MS);
    nextCron = now + CRON_MS;
  }
  // Blocked clients' timeouts are answered to the millisecond, not at the next cron.
  const deadline = shard.expireBlocked(now);
  const wake = deadline !== 0 && deadline < nextCron ? deadline : nextCron;
  if (!busy) shard.requests.sleep(Math.max(1, wake - Date.now()));
}
