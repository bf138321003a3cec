/**
 * MONITOR and SLOWLOG, run on the connection's thread. MONITOR makes the
 * connection a monitor of every thread (pubsub/hub.ts); SLOWLOG merges the
 * logs every thread keeps (connections/slowlog.ts) into one, newest first.
 */
import { askThreads } from './clients-view.js';
import type { FrontCall, FrontHandler } from './front-call.js';
import type { SlowEntry } from './slowlog.js';

function monitor(f: FrontCall): void {
  f.later(f.thread.pubsub.addMonitor(f.conn), (w) => w.ok());
}

/** SLOWLOG GET [count]: Redis's count rules (default 10, -1 every entry). */
function slowlogGet(f: FrontCall): void {
  let count = 10;
  if (f.argc > 3) return f.error("ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.");
  if (f.argc === 3) {
    const text = f.arg(2);
    const n = /^-?\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < -1) return f.error('ERR count should be greater than or equal to -1');
    count = n === -1 ? Number.MAX_SAFE_INTEGER : n;
  }
  f.later(collect(f, count), (w, entries) => {
    w.array(entries.length);
    for (const e of entries) {
      w.array(6);
      w.int(e.id);
      w.int(e.time);
      w.int(e.usec);
      w.array(e.args.length);
      for (const a of e.args) w.bulkBytes(Buffer.from(a, 'latin1'));
      w.bulkString(e.addr);
      w.bulkString(e.name);
    }
  });
}

/** Every thread's newest `count` entries, merged newest first, with the address and name of each client found on its own thread. */
async function collect(f: FrontCall, count: number): Promise<SlowEntry[]> {
  const perThread = await askThreads<SlowEntry[]>(f.thread, 'slowlog-get', { count: Math.min(count, 1 << 30) });
  const all = perThread.flat().sort((a, b) => b.id - a.id);
  const entries = all.slice(0, Math.min(count, f.thread.config.int('slowlog-max-len')));
  const unknown = [...new Set(entries.filter((e) => e.addr === '').map((e) => e.conn))];
  if (unknown.length > 0) {
    const found = await askThreads<Record<string, [string, string]>>(f.thread, 'slowlog-clients', { conns: unknown });
    const byConn = Object.assign({}, ...found) as Record<string, [string, string]>;
    for (const e of entries) {
      const c = byConn[String(e.conn)];
      if (e.addr === '' && c !== undefined) [e.addr, e.name] = c;
    }
  }
  return entries;
}

const SLOWLOG_HELP = [
  'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET [<count>]',
  '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:',
  '    id, timestamp, time in microseconds, arguments array, client IP and port,',
  '    client name',
  'LEN',
  '    Return the length of the slowlog.',
  'RESET',
  '    Reset the slowlog.',
  'HELP',
  '    Prints this help.',
];

export const observabilityFrontHandlers: Record<string, FrontHandler> = {
  monitor,
  'slowlog|get': slowlogGet,
  'slowlog|len': (f) =>
    f.later(askThreads<number>(f.thread, 'slowlog-len', {}), (w, lens) => w.int(Math.min(lens.reduce((a, b) => a + b, 0), f.thread.config.int('slowlog-max-len')))),
  'slowlog|reset': (f) => f.later(askThreads(f.thread, 'slowlog-reset', {}), (w) => w.ok()),
  'slowlog|help': (f) => {
    f.w.array(SLOWLOG_HELP.length);
    for (const line of SLOWLOG_HELP) f.w.simple(line);
  },
};
