/**
 * The persistence commands that run on the client's thread: SAVE, BGSAVE,
 * LASTSAVE, save points, and the saves of SHUTDOWN, SIGTERM, FLUSHALL and
 * DEBUG RELOAD (persistence/snapshot.ts does the snapshot itself; one runs
 * at a time, server-wide).
 */
import { reloadSnapshot, writeSnapshot } from '../persistence/snapshot.js';
import { parseSavePoints } from '../config/save-points.js';
import { type Caller, withEveryShard } from '../scheduler/transaction.js';
import type { ThreadContext } from './context.js';
import type { FrontCall, FrontHandler } from './front-call.js';

const OK = new TextEncoder().encode('+OK\r\n');

/**
 * Runs one snapshot if none is running; resolves whether it was written.
 * `background`: BGSAVE's walk, while the shards go on serving; otherwise
 * SAVE's, which holds them. Failures are logged and recorded for INFO
 * persistence and MISCONF.
 */
export async function runSave(ctx: ThreadContext, why: string, background = false): Promise<boolean> {
  const st = ctx.saves;
  if (!st.begin(Date.now())) return false;
  return finishSave(ctx, why, background);
}

/**
 * The final save of SHUTDOWN and SIGTERM: it waits for a snapshot that is
 * running (Redis kills its BGSAVE child and saves anew; here the running
 * one finishes first), then saves.
 */
export async function runFinalSave(ctx: ThreadContext, why = 'shutdown'): Promise<boolean> {
  const st = ctx.saves;
  while (!st.begin(Date.now())) await new Promise((r) => setTimeout(r, 20));
  return finishSave(ctx, why, false);
}

function finishSave(ctx: ThreadContext, why: string, background: boolean): Promise<boolean> {
  return recorded(ctx, `DB saved on disk (${why})`, () => writeSnapshot(ctx, background));
}

/** DEBUG RELOAD: SAVE and load it back, as one step for every client; resolves whether it worked. */
export async function reloadNow(ctx: ThreadContext): Promise<boolean> {
  if (!ctx.saves.begin(Date.now())) return false;
  return recorded(ctx, 'DB reloaded by DEBUG RELOAD', async () => {
    await reloadSnapshot(ctx);
    return 0;
  });
}

/**
 * Runs a snapshot the caller has begun (SaveState.begin) and records how it
 * ended: `work` resolves with the bytes written ahead of the walk.
 */
async function recorded(ctx: ThreadContext, done: string, work: () => Promise<number>, counted = true): Promise<boolean> {
  const st = ctx.saves;
  const dirty = st.dirty;
  try {
    const cow = await work();
    st.end(Date.now(), true, dirty, cow, counted);
    ctx.log.info(done);
    return true;
  } catch (err) {
    st.end(Date.now(), false, dirty);
    ctx.log.warn(`Background saving error: ${(err as Error).message}`);
    return false;
  } finally {
    if (st.takeScheduled()) void runSave(ctx, 'scheduled', true);
  }
}

/**
 * FLUSHALL while save points are set: as Redis 7.0 does, the emptied
 * dataset is saved before the reply (so a restart cannot bring the flushed
 * keys back from an older dump), and the change count starts over. A
 * running snapshot finishes first (Redis kills its BGSAVE child instead).
 * Resolves with the reply.
 */
export async function flushAllAndSave(ctx: ThreadContext, caller: Caller, args: Uint8Array[]): Promise<Uint8Array> {
  const st = ctx.saves;
  while (!st.begin(Date.now())) await new Promise((r) => setTimeout(r, 20));
  let reply: Uint8Array = OK;
  await recorded(ctx, 'DB saved on disk (FLUSHALL)', () =>
    withEveryShard(ctx, caller, 0, async (tx, shards) => {
      const replies = await Promise.all(shards.map((s) => tx.call(s, 'flushall', args.slice(1))));
      const failed = replies.find((r) => r[0] === 45 /* '-' */);
      if (failed !== undefined) {
        reply = failed;
        return 0;
      }
      return writeSnapshot(ctx, false, tx.txid);
    }),
    false,
  );
  return reply;
}

function save(f: FrontCall): void {
  const st = f.thread.saves;
  if (st.running) return f.error('ERR Background save already in progress');
  // An AOF rewrite has the one snapshot: SAVE follows it (Redis saves beside its rewrite child).
  f.later(st.rewriting ? runFinalSave(f.thread, 'SAVE') : runSave(f.thread, 'SAVE'), (w, ok) => (ok ? w.ok() : w.error('ERR')));
}

function bgsave(f: FrontCall): void {
  let schedule = false;
  if (f.argc > 2) return f.error('ERR syntax error');
  if (f.argc === 2) {
    if (!f.argIs(1, 'schedule')) return f.error('ERR syntax error');
    schedule = true;
  }
  const st = f.thread.saves;
  if (st.running || st.rewriting) {
    if (!schedule) {
      if (st.running) return f.error('ERR Background save already in progress');
      return f.error("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
    }
    st.schedule();
    return f.w.simple('Background saving scheduled');
  }
  void runSave(f.thread, 'BGSAVE', true);
  f.w.simple('Background saving started');
}

function lastsave(f: FrontCall): void {
  f.w.int(f.thread.saves.lastSave);
}

/** Whether a save point of the `save` parameter is due (thread 0's cron asks). */
export function savePointDue(ctx: ThreadContext, now: number): boolean {
  const st = ctx.saves;
  if (st.running || st.rewriting) return false;
  let points: Array<[number, number]>;
  try {
    points = parseSavePoints(ctx.config.get('save'));
  } catch {
    return false;
  }
  const changes = st.changesSinceSave;
  const elapsed = now / 1000 - st.lastSave;
  // After a failed save, Redis waits 5 seconds before trying again.
  if (!st.lastOk && now / 1000 - st.lastAttempt < 5) return false;
  return points.some(([secs, n]) => changes >= n && elapsed > secs);
}

export const persistenceFrontHandlers: Record<string, FrontHandler> = { save, bgsave, lastsave };
