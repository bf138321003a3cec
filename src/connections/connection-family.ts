/**
 * The connection family, run on the connection's thread: PING, ECHO, HELLO,
 * AUTH, QUIT, RESET, SELECT and CLIENT. They change or report the state of
 * connections and never touch the keyspace. CLIENT LIST, KILL, UNBLOCK,
 * PAUSE and UNPAUSE reach the connections of every thread.
 */
import { isSubscribed } from '../pubsub/hub.js';
import { trackingOff } from './tracking-family.js';
import type { FrontCall, FrontHandler } from './front-call.js';
import type { Connection } from './connection.js';
import { ReplyMode } from './reply-order.js';
import { REDIS_COMPAT_VERSION } from '../config/version.js';
import { askThreads, clientLine, type ClientFilter } from './clients-view.js';
import { dbIndexError, parseDb } from '../commands/db-index.js';
import { RespMap } from '../protocol/resp-value.js';
import { PauseMode } from '../transport/shared.js';
import { parseInt64 } from '../util/numbers.js';
import { cString } from '../util/bytes.js';

/** An argument as Redis's string2ll reads it (no '+', no leading zeros, within int64), or null. */
function int64Arg(f: FrontCall, i: number): bigint | null {
  const b = f.argBytes(i);
  const v = parseInt64(b, 0, b.length);
  return v === null ? null : BigInt(v);
}

const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

function ping(f: FrontCall): void {
  if (f.argc > 2) return f.error("ERR wrong number of arguments for 'ping' command");
  if (f.conn.resp === 2 && isSubscribed(f.conn)) {
    // Subscribed (RESP2): the reply is shaped like the messages, as Redis answers.
    f.w.array(2);
    f.w.bulkString('pong');
    if (f.argc === 2) f.w.bulkBytes(f.argBytes(1));
    else f.w.bulkString('');
  } else if (f.argc === 2) f.w.bulkBytes(f.argBytes(1));
  else f.w.simple('PONG');
}

function echo(f: FrontCall): void {
  f.w.bulkBytes(f.argBytes(1));
}

/** Redis accepts client names made of printable ASCII without spaces. */
function validName(s: Uint8Array): boolean {
  for (const c of s) if (c < 33 || c > 126) return false;
  return true;
}

/** Checks a password against requirepass, as the default user. */
function checkAuth(f: FrontCall, user: string, pass: string): boolean {
  const required = f.thread.config.get('requirepass');
  return user === 'default' && required !== '' && pass === required;
}

function setAuthenticated(c: Connection): void {
  c.authenticated = true;
  c.parser.authenticated = true;
}

function auth(f: FrontCall): void {
  if (f.argc > 3) return f.error('ERR syntax error');
  const required = f.thread.config.get('requirepass');
  if (f.argc === 2 && required === '') {
    return f.error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
  }
  const user = f.argc === 3 ? f.arg(1) : 'default';
  const pass = f.arg(f.argc - 1);
  if (required === '' && user === 'default') {
    // No password configured: the default user accepts any password (nopass).
    setAuthenticated(f.conn);
    return f.w.ok();
  }
  if (!checkAuth(f, user, pass)) return f.error(WRONGPASS);
  setAuthenticated(f.conn);
  f.w.ok();
}

function hello(f: FrontCall): void {
  const c = f.conn;
  let ver = c.resp;
  let next = 1;
  if (f.argc >= 2) {
    const s = f.arg(1);
    if (!/^-?\d+$/.test(s) || s.length > 19) return f.error('ERR Protocol version is not an integer or out of range');
    const v = Number(s);
    if (v < 2 || v > 3) return f.error('NOPROTO unsupported protocol version');
    ver = v;
    next = 2;
  }
  let authPair: [string, string] | null = null;
  let setName: Uint8Array | null = null;
  for (let j = next; j < f.argc; j++) {
    const more = f.argc - j - 1;
    if (f.argIs(j, 'auth') && more >= 2) {
      authPair = [f.arg(j + 1), f.arg(j + 2)];
      j += 2;
    } else if (f.argIs(j, 'setname') && more >= 1) {
      setName = f.argBytes(j + 1);
      j += 1;
    } else {
      return f.error(`ERR Syntax error in HELLO option '${f.arg(j)}'`);
    }
  }
  if (authPair !== null) {
    const required = f.thread.config.get('requirepass');
    const ok = required === '' ? authPair[0] === 'default' : checkAuth(f, authPair[0], authPair[1]);
    if (!ok) return f.error(WRONGPASS);
    setAuthenticated(c);
  }
  if (!c.authenticated) {
    return f.error(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
  }
  if (setName !== null) {
    if (!validName(setName)) return f.error('ERR Client names cannot contain spaces, newlines or special characters.');
    c.name = Buffer.from(setName).toString('latin1');
  }
  c.resp = ver;
  f.w.resp3 = ver === 3;
  f.value(
    new RespMap([
      ['server', 'redis'],
      ['version', REDIS_COMPAT_VERSION],
      ['proto', ver],
      ['id', c.id],
      ['mode', 'standalone'],
      ['role', 'master'],
      ['modules', []],
    ]),
  );
}

function quit(f: FrontCall): void {
  f.w.ok();
  f.conn.closeAfterWrite = true;
}

function reset(f: FrontCall): void {
  const c = f.conn;
  c.db = 0;
  c.resp = 2;
  f.w.resp3 = false;
  c.name = '';
  c.noTouch = false;
  c.noEvict = false;
  c.replyMode = ReplyMode.On;
  c.multi = null;
  c.multiDirty = false;
  f.session.unwatchAll(c);
  void f.thread.pubsub.dropAll(c);
  void trackingOff(f.thread, c);
  c.authenticated = f.thread.config.get('requirepass') === '';
  c.parser.authenticated = c.authenticated;
  f.w.simple('RESET');
}

function select(f: FrontCall): void {
  const db = parseDb(f.arg(1));
  const err = dbIndexError(db);
  if (err !== null) return f.error(err);
  f.conn.db = db as number;
  f.w.ok();
}

// ---- CLIENT -----------------------------------------------------------------------

function clientId(f: FrontCall): void {
  f.w.int(f.conn.id);
}

function clientSetname(f: FrontCall): void {
  const name = f.argBytes(2);
  if (!validName(name)) return f.error('ERR Client names cannot contain spaces, newlines or special characters.');
  f.conn.name = Buffer.from(name).toString('latin1');
  f.w.ok();
}

function clientGetname(f: FrontCall): void {
  if (f.conn.name === '') f.w.nullBulk();
  else f.w.bulkString(f.conn.name);
}

function clientSetinfo(f: FrontCall): void {
  const attr = f.arg(2).toLowerCase();
  const value = f.argBytes(3);
  if (attr !== 'lib-name' && attr !== 'lib-ver') return f.error(`ERR Unrecognized option '${f.arg(2)}'`);
  if (value.length > 0 && !validName(value)) return f.error(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
  if (attr === 'lib-name') f.conn.libName = Buffer.from(value).toString('latin1');
  else f.conn.libVer = Buffer.from(value).toString('latin1');
  f.w.ok();
}

const CLIENT_TYPES = ['normal', 'master', 'replica', 'slave', 'pubsub'];

/** CLIENT LIST [TYPE type] [ID id ...]: the clients of every thread, by id. */
function clientList(f: FrontCall): void {
  const filter: ClientFilter = {};
  for (let j = 2; j < f.argc; j++) {
    if (f.argIs(j, 'type') && j + 1 < f.argc) {
      const t = f.arg(++j).toLowerCase();
      if (!CLIENT_TYPES.includes(t)) return f.error(`ERR Unknown client type '${f.arg(j)}'`);
      filter.type = t;
    } else if (f.argIs(j, 'id') && j + 1 < f.argc) {
      const ids: number[] = [];
      for (j++; j < f.argc; j++) {
        // Any int64 (Redis 7.0): ids of 0 or below just match nothing.
        const id = int64Arg(f, j);
        if (id === null) return f.error('ERR Invalid client ID');
        ids.push(Number(id));
      }
      filter.ids = ids;
    } else {
      return f.error('ERR syntax error');
    }
  }
  const me = { id: f.conn.id, cmd: f.fullName, argvMem: argvMem(f) };
  f.later(askThreads<{ id: number; line: string }[]>(f.thread, 'list', { filter, me }), (w, perThread) => {
    const all = perThread.flat().sort((a, b) => a.id - b.id);
    w.verbatim(all.map((c) => c.line + '\n').join(''));
  });
}

function clientInfo(f: FrontCall): void {
  f.w.verbatim(clientLine(f.conn, f.thread.index, f.fullName, Date.now(), argvMem(f)) + '\n');
}

/** The bytes of the running command's arguments (CLIENT LIST argv-mem of the asking client). */
function argvMem(f: FrontCall): number {
  let n = 0;
  for (let i = 0; i < f.argc; i++) n += f.p.argLen[i];
  return n;
}

/** CLIENT KILL addr:port, or CLIENT KILL with filters: closes matching clients of every thread. */
function clientKill(f: FrontCall): void {
  if (f.argc === 3) {
    // Old form: CLIENT KILL addr:port
    const filter: ClientFilter = { addr: f.arg(2) };
    f.later(askThreads<number>(f.thread, 'kill', { filter }), (w, counts) => {
      if (counts.reduce((a, b) => a + b, 0) === 0) w.error('ERR No such client');
      else w.ok();
    });
    return;
  }
  const filter: ClientFilter = {};
  let skipMe = true;
  for (let j = 2; j < f.argc; j += 2) {
    if (j + 1 >= f.argc) return f.error('ERR syntax error');
    const v = f.arg(j + 1);
    if (f.argIs(j, 'id')) {
      const id = int64Arg(f, j + 1);
      if (id === null || id <= 0n) return f.error('ERR client-id should be greater than 0');
      filter.ids = [Number(id)];
    } else if (f.argIs(j, 'addr')) filter.addr = v;
    else if (f.argIs(j, 'laddr')) filter.laddr = v;
    else if (f.argIs(j, 'user')) {
      // There are no ACL users besides "default": any other name is unknown, as Redis says.
      if (v !== 'default') return f.error(`ERR No such user '${cString(v)}'`);
      filter.user = v;
    }
    else if (f.argIs(j, 'type')) {
      const t = v.toLowerCase();
      if (!CLIENT_TYPES.includes(t)) return f.error(`ERR Unknown client type '${v}'`);
      filter.type = t;
    } else if (f.argIs(j, 'skipme')) {
      if (v.toLowerCase() === 'yes') skipMe = true;
      else if (v.toLowerCase() === 'no') skipMe = false;
      else return f.error('ERR syntax error');
    } else if (f.argIs(j, 'maxage')) {
      if (!/^\d+$/.test(v)) return f.error('ERR value is not an integer or out of range');
      filter.maxAgeMs = Number(v) * 1000;
    } else return f.error('ERR syntax error');
  }
  if (skipMe) filter.skipId = f.conn.id;
  f.later(askThreads<number>(f.thread, 'kill', { filter }), (w, counts) => w.int(counts.reduce((a, b) => a + b, 0)));
}

/** Redis's addReplySubcommandSyntaxError: names the subcommand as the client typed it. */
function subcommandSyntaxError(f: FrontCall): void {
  f.error(`ERR unknown subcommand or wrong number of arguments for '${cString(f.arg(1)).slice(0, 128)}'. Try CLIENT HELP.`);
}

/** CLIENT PAUSE timeout [WRITE|ALL]: every thread holds the commands the mode names until the time passes. */
function clientPause(f: FrontCall): void {
  if (f.argc > 4) return subcommandSyntaxError(f);
  const t = f.arg(2);
  if (!/^-?\d+$/.test(t) || t.length > 19 || !Number.isSafeInteger(Number(t))) return f.error('ERR timeout is not an integer or out of range');
  const ms = Number(t);
  if (ms < 0) return f.error('ERR timeout is negative');
  let mode = PauseMode.All;
  if (f.argc === 4) {
    if (f.argIs(3, 'write')) mode = PauseMode.Write;
    else if (!f.argIs(3, 'all')) return f.error('ERR CLIENT PAUSE mode must be WRITE or ALL');
  }
  const shared = f.thread.shared;
  const now = Date.now();
  // A pause in force is only ever made longer or stricter by another one, as in Redis.
  const current = shared.pauseMode();
  const until = Math.max(now + ms, current !== PauseMode.None ? shared.pauseEnd() : 0);
  shared.setPause(Math.max(mode, current) as PauseMode, until);
  f.w.ok();
}

/** CLIENT UNPAUSE: every thread resumes the clients it held. */
function clientUnpause(f: FrontCall): void {
  f.thread.shared.setPause(PauseMode.None, 0);
  f.later(askThreads<number>(f.thread, 'unpause', {}), (w) => w.ok());
}

function onOff(f: FrontCall, set: (on: boolean) => void): void {
  if (f.argIs(2, 'on')) set(true);
  else if (f.argIs(2, 'off')) set(false);
  else return f.error('ERR syntax error');
  f.w.ok();
}

function clientReply(f: FrontCall): void {
  const c = f.conn;
  if (f.argIs(2, 'on')) {
    c.replyMode = ReplyMode.On;
    c.unsilenceCurrent();
    f.w.ok();
  } else if (f.argIs(2, 'off')) {
    c.replyMode = ReplyMode.Off;
    c.silenceCurrent();
  } else if (f.argIs(2, 'skip')) {
    if (c.replyMode === ReplyMode.On) c.replyMode = ReplyMode.Skip;
    c.silenceCurrent();
  } else f.error('ERR syntax error');
}

const CLIENT_HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'GETNAME',
  '    Return the name of the current connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are: ID, TYPE, USER, ADDR, LADDR, SKIPME, MAXAGE.',
  'LIST [options ...]',
  '    Return information about client connections. Options: TYPE <type>, ID <id> [...].',
  'NO-EVICT (ON|OFF)',
  '    Protect the current client connection from eviction.',
  'NO-TOUCH (ON|OFF)',
  '    Do not change the access time of the keys this connection reads.',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic.',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'SETINFO <LIB-NAME|LIB-VER> <value>',
  '    Set client meta attributes.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'HELP',
  '    Print this help.',
];

/** CLIENT UNBLOCK id [TIMEOUT|ERROR]: answers 1 if that client (on any thread) was blocked. */
function clientUnblock(f: FrontCall): void {
  const id = int64Arg(f, 2);
  if (id === null) return f.error('ERR value is not an integer or out of range');
  let mode: 'timeout' | 'error' = 'timeout';
  if (f.argc === 4) {
    if (f.argIs(3, 'timeout')) mode = 'timeout';
    else if (f.argIs(3, 'error')) mode = 'error';
    else return f.error('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
  } else if (f.argc > 4) return subcommandSyntaxError(f);
  f.later(askThreads<number>(f.thread, 'unblock', { id: Number(id), mode }), (w, answers) => w.int(answers.some((n) => n === 1) ? 1 : 0));
}

export function helpReply(f: FrontCall, lines: string[]): void {
  f.w.array(lines.length);
  for (const l of lines) f.w.simple(l);
}

export const connectionHandlers: Record<string, FrontHandler> = {
  ping,
  echo,
  hello,
  auth,
  quit,
  reset,
  select,
  'client|id': clientId,
  'client|setname': clientSetname,
  'client|getname': clientGetname,
  'client|setinfo': clientSetinfo,
  'client|list': clientList,
  'client|info': clientInfo,
  'client|kill': clientKill,
  'client|no-evict': (f) => onOff(f, (on) => (f.conn.noEvict = on)),
  'client|no-touch': (f) => onOff(f, (on) => (f.conn.noTouch = on)),
  'client|reply': clientReply,
  'client|unblock': clientUnblock,
  'client|pause': clientPause,
  'client|unpause': clientUnpause,
  'client|help': (f) => helpReply(f, CLIENT_HELP),
};

