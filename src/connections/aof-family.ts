/**
 * The AOF commands and decisions that run on a client's thread:
 * BGREWRITEAOF, the automatic rewrite (thread 0's cron), and turning the
 * AOF on and off with CONFIG SET appendonly.
 *
 * A rewrite is a snapshot (persistence/snapshot.ts) written as the AOF's
 * new base: at its barrier, while every shard is held, shard 0 records the
 * instant, and the writer moves to the new incr file there (the supervisor
 * created it and put it in the manifest first); once the base is written,
 * the supervisor installs it and drops the files it covers. It takes the
 * one snapshot slot, so a BGSAVE and a rewrite never walk the shards at
 * the same time: whichever comes second is scheduled.
 */
import path from 'node:path';
import { writeSnapshot } from '../persistence/snapshot.js';
import { AofMode, aofMode } from '../persistence/aof-state.js';
import { bytes } from '../scheduler/transaction.js';
import type { ThreadContext } from './context.js';
import type { FrontCall, FrontHandler } from './front-call.js';
import { askThreads } from './clients-view.js';
import { runSave } from './persistence-family.js';

/**
 * Runs a rewrite in the snapshot slot the caller took (SaveState.
 * beginRewrite); resolves whether the new base was installed. `turningOn`:
 * CONFIG SET appendonly yes, whose new incr file the writer opened already.
 * While the AOF is on the barrier also has every shard recording (a no-op
 * where it records already; what starts it when the AOF is turned on).
 */
export async function rewriteAof(ctx: ThreadContext, turningOn = false): Promise<boolean> {
  const aof = ctx.aofState;
  aof.beginRewrite(Date.now());
  const dir = path.join(ctx.config.get('dir'), ctx.config.get('appenddirname'));
  const name = `temp-rewriteaof-bg-${process.pid}.rdb`;
  const barrier = [bytes('rotate'), ...(aof.mode !== AofMode.Off ? [bytes('attach')] : [])];
  try {
    if (!turningOn) await ctx.aofControl('rewrite-start');
    await writeSnapshot(ctx, true, 0, { dir, name, aofBase: true, barrier });
    await ctx.aofControl('rewrite-done', path.join(dir, name));
    aof.endRewrite(Date.now(), true);
    ctx.log.info('Background AOF rewrite finished successfully');
    return true;
  } catch (err) {
    aof.endRewrite(Date.now(), false);
    ctx.log.warn(`Background AOF rewrite failed: ${(err as Error).message}`);
    await ctx.aofControl('rewrite-failed', path.join(dir, name)).catch(() => {});
    return false;
  } finally {
    ctx.saves.endRewrite();
    if (ctx.saves.takeScheduled()) void runSave(ctx, 'scheduled', true);
  }
}

/** Starts a rewrite when the snapshot slot is free; false when it is taken. */
export function startRewrite(ctx: ThreadContext): boolean {
  if (!ctx.saves.beginRewrite()) return false;
  ctx.aofState.rewriteScheduled = false;
  void rewriteAof(ctx);
  return true;
}

function bgrewriteaof(f: FrontCall): void {
  const ctx = f.thread;
  if (ctx.saves.rewriting) return f.error('ERR Background append only file rewriting already in progress');
  if (!startRewrite(ctx)) {
    // A BGSAVE walks the shards: the rewrite follows it (thread 0's cron starts it).
    ctx.aofState.rewriteScheduled = true;
    return f.w.simple('Background append only file rewriting scheduled');
  }
  f.w.simple('Background append only file rewriting started');
}

/**
 * Thread 0's cron: a scheduled rewrite once the slot is free, or an
 * automatic one when the AOF has grown auto-aof-rewrite-percentage past
 * its size after the last rewrite, and beyond auto-aof-rewrite-min-size.
 */
export function aofCron(ctx: ThreadContext): void {
  const aof = ctx.aofState;
  if (ctx.saves.rewriting || ctx.saves.loading) return;
  if (aof.rewriteScheduled) {
    startRewrite(ctx);
    return;
  }
  if (aof.mode === AofMode.Off) return;
  const perc = ctx.config.int('auto-aof-rewrite-percentage');
  const size = aof.currentSize;
  if (perc === 0 || size <= ctx.config.int('auto-aof-rewrite-min-size')) return;
  const base = aof.rewriteBaseSize > 0 ? aof.rewriteBaseSize : 1;
  const growth = (size * 100) / base - 100;
  if (growth < perc) return;
  if (startRewrite(ctx)) ctx.log.info(`Starting automatic rewriting of AOF on ${Math.floor(growth)}% growth`);
}

/**
 * CONFIG SET appendonly: on, the writer opens a new incr file and a
 * rewrite writes the base (the shards record from its barrier on); off, the
 * shards stop recording and the writer closes the file. Resolves with an
 * error text, or null.
 */
export async function setAppendonly(ctx: ThreadContext, on: boolean): Promise<string | null> {
  const aof = ctx.aofState;
  if (on === (aof.mode !== AofMode.Off)) return null;
  if (!on) {
    await askThreads(ctx, 'aof-off', {});
    await ctx.aofControl('off');
    return null;
  }
  try {
    await ctx.aofControl('on');
  } catch (err) {
    ctx.log.warn(`Unable to turn on AOF: ${(err as Error).message}`);
    return 'Unable to turn on AOF. Check server logs.';
  }
  aof.mode = aofMode('yes', ctx.config.get('appendfsync'));
  // The base must be the dataset at the instant recording starts: wait for the slot if a BGSAVE has it.
  void (async () => {
    while (!ctx.saves.beginRewrite()) await new Promise((r) => setTimeout(r, 20));
    // Until a base is written the AOF does not hold the dataset: a failed one is tried again (as Redis does).
    if (!(await rewriteAof(ctx, true))) aof.rewriteScheduled = true;
  })();
  return null;
}

export const aofFrontHandlers: Record<string, FrontHandler> = { bgrewriteaof };
