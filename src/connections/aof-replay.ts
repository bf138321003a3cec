/**
 * Loading an AOF's command files at start: thread 0 plays them through a
 * connection of its own (the loader: Redis's fake client), so every
 * command goes where a client's would — the owning shard, a transaction
 * across shards, MULTI/EXEC — while other clients get LOADING. The loader
 * never blocks (a blocking pop with nothing to pop answers at once, as
 * Redis's fake client does) and its replies are dropped.
 *
 * A file is read in windows of about 1 MiB of commands; each window is
 * played and the loader waits for every reply before the next. Faults are
 * Redis's: a command Shoal does not know, or bytes that are not a command,
 * stop the start with the file and offset; a file that ends inside a
 * command or an open MULTI is cut there when it is the last file and
 * aof-load-truncated is yes, and stops the start otherwise.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Connection } from './connection.js';
import { AofError, MultiTracker, type AofReadResult, loadableEnd, readAof } from '../persistence/aof-reader.js';
import type { AofLoadPlan } from '../persistence/aof-log.js';

export interface ReplayHost {
  readonly log: Logger;
  /** A loader connection on this thread. */
  openLoader(): Connection;
  closeLoader(c: Connection): void;
  /** Hands bytes to the connection as if its socket had read them. */
  feed(c: Connection, bytes: Buffer): void;
  /** Whether a command of this name exists. */
  knows(name: Uint8Array): boolean;
}

const WINDOW = 1 << 20;
const STOP = Symbol('window full');

/** Plays the plan's command files (an AOF-form base, then the incr files); resolves with the commands played. */
export async function replayAof(host: ReplayHost, plan: AofLoadPlan, truncatedOk: boolean): Promise<number> {
  const files = [...(plan.base !== null && !plan.base.rdb ? [plan.base.file] : []), ...plan.incr];
  const c = host.openLoader();
  let commands = 0;
  try {
    for (let i = 0; i < files.length; i++) {
      commands += await replayFile(host, c, path.join(plan.dir, files[i]), files[i], i === files.length - 1 && truncatedOk);
    }
  } finally {
    host.closeLoader(c);
  }
  return commands;
}

async function replayFile(host: ReplayHost, c: Connection, file: string, name: string, mayCut: boolean): Promise<number> {
  const buf = fs.readFileSync(file);
  const tracker = new MultiTracker(0);
  let commands = 0;
  let pos = 0;
  for (;;) {
    const segments: [number, number][] = [];
    let segStart = pos;
    let windowEnd = pos;
    let result: AofReadResult | null = null;
    try {
      result = readAof(
        buf,
        (args, after) => {
          if (!host.knows(args[0])) throw new Error(`Unknown command '${Buffer.from(args[0]).toString('latin1')}' reading the append only file ${name}`);
          tracker.observe(args, after);
          commands++;
          windowEnd = after;
          if (after - pos >= WINDOW) throw STOP;
        },
        {
          start: pos,
          views: true,
          onAnnotation: (_text, at) => {
            // Annotations (#TS:...) are not RESP: the commands around them are fed apart.
            if (at > segStart) segments.push([segStart, at]);
            segStart = buf.indexOf(0x0a, at) + 1;
            windowEnd = segStart;
          },
        },
      );
    } catch (err) {
      if (err instanceof AofError) throw new Error(`Bad file format reading the append only file ${name}: ${err.message}`);
      if (err !== STOP) throw err;
    }
    if (result?.rdbPreamble) throw new Error(`The AOF file ${name} holds an RDB where commands were expected`);
    if (windowEnd > segStart) segments.push([segStart, windowEnd]);
    for (const [from, to] of segments) host.feed(c, buf.subarray(from, to));
    await settled(c);
    pos = windowEnd;
    if (result === null) continue;
    const end = loadableEnd(result, tracker);
    if (end < buf.length) cut(host.log, file, name, end, tracker.openMultiAt !== null, mayCut);
    return commands;
  }
}

/** The file ends inside a command or a transaction: cut it there (aof-load-truncated) or stop. */
function cut(log: Logger, file: string, name: string, at: number, openMulti: boolean, mayCut: boolean): void {
  if (openMulti) log.warn(`Revert incomplete MULTI/EXEC transaction in AOF file ${name}`);
  if (!mayCut) {
    throw new Error(
      `Unexpected end of file reading the append only file ${name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.`,
    );
  }
  log.warn(`!!! Warning: short read while loading the AOF file ${name}!!!`);
  log.warn(`!!! Truncating the AOF ${name} at offset ${at} !!!`);
  fs.truncateSync(file, at);
  log.warn(`AOF ${name} loaded anyway because aof-load-truncated is enabled`);
}

/** Resolves once every command fed to the loader has answered. */
async function settled(c: Connection): Promise<void> {
  while (c.inFlight > 0 || c.paused || c.busy || c.blockedSeq >= 0) await new Promise((r) => setImmediate(r));
}
