/**
 * The server family, run on the connection's thread: COMMAND, INFO, CONFIG,
 * TIME, LASTSAVE, SHUTDOWN, DEBUG and the HELP of containers. INFO, CONFIG
 * SET and CONFIG RESETSTAT reach every thread.
 */
import { AofMode, aofMode } from '../persistence/aof-state.js';
import { setAppendonly } from './aof-family.js';
import type { FrontCall, FrontHandler } from './front-call.js';
import { askThreads } from './clients-view.js';
import { buildInfo, selectSections, type ThreadReport } from './info.js';
import { Config } from '../config/config.js';
import { globMatch } from '../util/glob.js';
import { OP_CONFIG } from '../transport/frames.js';
import {
  commandCount,
  commandDocsReply,
  commandInfoReply,
  commandListNames,
  getKeysFromCommand,
} from '../commands/introspection.js';
import { helpReply } from './connection-family.js';
import { reloadNow, runFinalSave } from './persistence-family.js';
import { datasetDigest, valueDigests } from '../persistence/digest.js';
import { bytes } from '../scheduler/transaction.js';

function command(f: FrontCall): void {
  f.value(commandInfoReply([]));
}

function commandCountH(f: FrontCall): void {
  f.w.int(commandCount());
}

function commandInfo(f: FrontCall): void {
  const names: string[] = [];
  for (let i = 2; i < f.argc; i++) names.push(f.arg(i));
  f.value(commandInfoReply(names.length === 0 ? [] : names));
}

function commandDocs(f: FrontCall): void {
  const names: string[] = [];
  for (let i = 2; i < f.argc; i++) names.push(f.arg(i));
  f.value(commandDocsReply(names));
}

function commandList(f: FrontCall): void {
  if (f.argc === 2) return f.value(commandListNames());
  if (f.argc !== 5 || !f.argIs(2, 'filterby')) return f.error('ERR syntax error');
  const kind = f.arg(3).toLowerCase();
  const v = f.arg(4);
  if (kind === 'aclcat') f.value(commandListNames({ aclcat: v }));
  else if (kind === 'pattern') f.value(commandListNames({ pattern: v }));
  else if (kind === 'module') f.value(commandListNames({ module: v }));
  else f.error('ERR syntax error');
}

function commandGetkeys(f: FrontCall): void {
  const r = getKeysFromCommand(f.allArgs().slice(2));
  f.value(Array.isArray(r) ? r.map((i) => f.argBytes(i + 2)) : r);
}

const COMMAND_HELP = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'HELP',
  '    Print this help.',
];

/** INFO: gathers every thread's report (its connections and its shard), then builds the text. */
function info(f: FrontCall): void {
  const args: string[] = [];
  for (let i = 1; i < f.argc; i++) args.push(f.arg(i));
  const sections = selectSections(args);
  const thread = f.thread;
  f.later(askThreads<ThreadReport>(thread, 'info', {}), (w, reports) => w.verbatim(buildInfo(thread, sections, reports)));
}

function configGet(f: FrontCall): void {
  const pairs: [string, string][] = [];
  const seen = new Set<string>();
  for (let i = 2; i < f.argc; i++) {
    const pat = f.argBytes(i);
    for (const [k, v] of f.thread.config.matching((name) => {
      const n = Buffer.from(name);
      return globMatch(pat, 0, pat.length, n, 0, n.length, true);
    })) {
      if (!seen.has(k)) {
        seen.add(k);
        pairs.push([k, v]);
      }
    }
  }
  f.w.map(pairs.length);
  for (const [k, v] of pairs) {
    f.w.bulkString(k);
    f.w.bulkString(v);
  }
}

function configSet(f: FrontCall): void {
  if ((f.argc - 2) % 2 !== 0) return f.error("ERR wrong number of arguments for 'config|set' command");
  const cfg = f.thread.config;
  // Redis applies CONFIG SET atomically: validate everything first.
  const trial = new Config();
  for (const name of Config.names()) trial.set(name, cfg.get(name), false);
  const names = new Set<string>();
  for (let i = 2; i < f.argc; i += 2) {
    const name = f.arg(i).toLowerCase();
    if (names.has(name)) return f.error(`ERR CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`);
    names.add(name);
    const err = trial.set(name, f.arg(i + 1), true);
    if (err !== null) return f.error(`ERR ${err}`);
  }
  const pairs: [string, string][] = [];
  for (let i = 2; i < f.argc; i += 2) {
    pairs.push([f.arg(i), f.arg(i + 1)]);
    // At once here, so that a CONFIG SET pipelined right behind builds on this one.
    cfg.set(f.arg(i), f.arg(i + 1), true);
  }
  // The fsync policy is one shared word: every thread and the writer follow it at once.
  if (names.has('appendfsync') && f.thread.aofState.mode !== AofMode.Off) f.thread.aofState.mode = aofMode('yes', cfg.get('appendfsync'));
  // Every thread takes the new values; every shard learns new thresholds in ring
  // order, after everything this client sent before (OP_CONFIG waits behind parked frames).
  const t = cfg.tunables;
  const words = new Uint8Array(t.length * 4);
  for (let i = 0; i < t.length; i++) new DataView(words.buffer).setInt32(4 * i, t[i], true);
  const thread = f.thread;
  const shards = Array.from({ length: thread.shards }, (_, s) => thread.request(s, OP_CONFIG, 0, [CONFIG_NAME, words], 0, 0));
  const aof = names.has('appendonly') ? setAppendonly(thread, cfg.get('appendonly') === 'yes') : Promise.resolve(null);
  f.later(Promise.all([aof, askThreads(thread, 'config', pairs), ...shards]), (w, [aofError]) =>
    aofError === null ? w.ok() : w.error(`ERR CONFIG SET failed (possibly related to argument 'appendonly') - ${aofError}`),
  );
}

const CONFIG_NAME = new TextEncoder().encode('config');

function configResetstat(f: FrontCall): void {
  f.later(askThreads(f.thread, 'resetstat', {}), (w) => w.ok());
}

const CONFIG_HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'HELP',
  '    Print this help.',
];

function time(f: FrontCall): void {
  const us = BigInt(Date.now()) * 1000n + BigInt(Math.floor((performance.now() % 1) * 1000));
  f.w.array(2);
  f.w.bulkString((us / 1000000n).toString());
  f.w.bulkString((us % 1000000n).toString());
}

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: saves first when asked to,
 * or when save points are configured and NOSAVE is not given; a failed save
 * keeps the server running unless FORCE.
 */
function shutdown(f: FrontCall): void {
  let nosave = false;
  let save = false;
  let force = false;
  for (let i = 1; i < f.argc; i++) {
    const a = f.arg(i).toLowerCase();
    if (a === 'nosave') nosave = true;
    else if (a === 'save') save = true;
    else if (a === 'force') force = true;
    else if (a === 'abort') {
      if (f.argc !== 2) return f.error('ERR syntax error');
      return f.error('ERR No shutdown in progress.');
    } else if (a !== 'now') return f.error('ERR syntax error');
  }
  if (nosave && save) return f.error('ERR syntax error');
  const ctx = f.thread;
  ctx.log.warn('User requested shutdown...');
  const wantSave = save || (!nosave && ctx.config.get('save').trim() !== '');
  if (!wantSave) {
    // Redis closes the connection without replying when it shuts down.
    f.defer();
    return ctx.requestShutdown();
  }
  ctx.log.info('Saving the final RDB snapshot before exiting.');
  const seq = f.defer();
  const c = f.conn;
  void runFinalSave(ctx).then((ok) => {
    if (ok || force) return ctx.requestShutdown();
    ctx.log.warn('Error trying to save the DB, can\'t exit.');
    const err = new TextEncoder().encode('-ERR Errors trying to SHUTDOWN. Check logs.\r\n');
    c.replyNow(seq, err, 0, err.length);
    ctx.markDirty(c);
  });
}

function debug(f: FrontCall): void {
  if (f.argIs(1, 'sleep') && f.argc === 3) {
    const secs = Number(f.arg(2));
    if (!Number.isFinite(secs)) return f.error('ERR value is not a valid float');
    // Blocks this thread (its clients and its shard), as DEBUG SLEEP blocks Redis.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, secs * 1000));
    return f.w.ok();
  }
  if (f.argIs(1, 'digest') && f.argc === 2) {
    return f.later(datasetDigest(f.thread), (w, hex) => w.simple(hex));
  }
  if (f.argIs(1, 'digest-value')) {
    const keys = f.allArgs().slice(2);
    return f.later(valueDigests(f.thread, f.conn.db, keys), (w, hexes) => {
      w.array(hexes.length);
      for (const h of hexes) w.simple(h);
    });
  }
  if (f.argIs(1, 'object') && f.argc === 3) {
    const key = f.argBytes(2);
    const ctx = f.thread;
    const id = ctx.handlerId('debug-object-part');
    return f.later(ctx.request(ctx.shardOf(key), id, f.conn.db, [bytes('debug-object-part'), key], 0, f.conn.key), (w, r) => {
      if (r[0] === 36 /* $ */ && r[1] !== 45 /* - */) w.simple(Buffer.from(r.subarray(r.indexOf(10) + 1, r.length - 2)).toString('latin1'));
      else w.error('ERR no such key');
    });
  }
  if (f.argIs(1, 'reload')) {
    if (f.argc > 2) return f.error('ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.');
    return f.later(reloadNow(f.thread), (w, ok) => (ok ? w.ok() : w.error('ERR Error trying to save the DB, check the logs')));
  }
  if (f.argIs(1, 'help')) {
    return helpReply(f, [
      'DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'OBJECT <key>',
      '    Show low level info about the `key` and associated value.',
      'DIGEST',
      '    Output a hex signature representing the current DB content.',
      'DIGEST-VALUE <key> [<key> ...]',
      '    Output a hex signature of the values of all the specified keys.',
      'RELOAD',
      '    Save the RDB on disk and reload it back to memory.',
      'SLEEP <seconds>',
      '    Stop the server for <seconds>. Decimals allowed.',
      'HELP',
      '    Print this help.',
    ]);
  }
  f.error(`ERR unknown subcommand '${f.arg(1)}'. Try DEBUG HELP.`);
}

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Print this help.',
];

export const serverHandlers: Record<string, FrontHandler> = {
  command,
  'command|count': commandCountH,
  'command|info': commandInfo,
  'command|docs': commandDocs,
  'command|list': commandList,
  'command|getkeys': commandGetkeys,
  'command|help': (f) => helpReply(f, COMMAND_HELP),
  info,
  'config|get': configGet,
  'config|set': configSet,
  'config|resetstat': configResetstat,
  'config|help': (f) => helpReply(f, CONFIG_HELP),
  time,
  shutdown,
  debug,
  'object|help': (f) => helpReply(f, OBJECT_HELP),
};
