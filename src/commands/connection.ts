/**
 * The connection family, run on the front: PING, ECHO, HELLO, AUTH, QUIT,
 * RESET, SELECT and CLIENT. They change or report the connection's own state
 * and never touch the keyspace.
 */
import type { FrontCall, FrontHandler } from '../front/front-call.js';
import { ReplyMode, type Connection } from '../front/connection.js';
import { REDIS_COMPAT_VERSION } from '../front/info.js';
import { RespMap, Simple } from '../protocol/resp-value.js';
import { parseInt64 } from '../util/numbers.js';

const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

function ping(f: FrontCall): void {
  if (f.argc > 2) return f.error("ERR wrong number of arguments for 'ping' command");
  if (f.argc === 2) f.w.bulkBytes(f.argBytes(1));
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
  const required = f.front.config.get('requirepass');
  return user === 'default' && required !== '' && pass === required;
}

function setAuthenticated(c: Connection): void {
  c.authenticated = true;
  c.parser.authenticated = true;
}

function auth(f: FrontCall): void {
  if (f.argc > 3) return f.error('ERR syntax error');
  const required = f.front.config.get('requirepass');
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
    const required = f.front.config.get('requirepass');
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
  f.front.unwatchAll(c);
  c.authenticated = f.front.config.get('requirepass') === '';
  c.parser.authenticated = c.authenticated;
  f.w.simple('RESET');
}

/**
 * A database index as Redis reads it (getIntFromObject: a 32-bit integer):
 * 'syntax' when it is not an integer, 'range' when it does not fit 32 bits.
 */
export function parseDb(s: string): number | 'syntax' | 'range' {
  const v = parseInt64(Buffer.from(s, 'latin1'), 0, Buffer.byteLength(s, 'latin1'));
  if (v === null) return 'syntax';
  if (v < -2147483648n || v > 2147483647n) return 'range';
  return Number(v);
}

function select(f: FrontCall): void {
  const db = parseDb(f.arg(1));
  if (db === 'syntax') return f.error('ERR value is not an integer or out of range');
  if (db === 'range') return f.error('ERR value is out of range, value must between -2147483648 and 2147483647');
  if (db < 0 || db >= 16) return f.error('ERR DB index is out of range');
  f.conn.db = db;
  f.w.ok();
}

// ---- CLIENT -----------------------------------------------------------------------

function clientLine(f: FrontCall, c: Connection): string {
  const now = Date.now();
  const flags = (c.noEvict ? 'e' : '') + (c.noTouch ? 'T' : '') || 'N';
  const qbuf = c.parser.buffered;
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${(c.socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1} ` +
    `name=${c.name} age=${Math.floor((now - c.createdAt) / 1000)} idle=${Math.floor((now - c.lastInteraction) / 1000)} ` +
    `flags=${flags} db=${c.db} sub=0 psub=0 ssub=0 multi=-1 qbuf=${qbuf} qbuf-free=0 argv-mem=0 multi-mem=0 ` +
    `rbs=0 rbp=0 obl=0 oll=0 omem=${c.socket.writableLength} tot-mem=0 events=r cmd=${c === f.conn ? f.fullName : c.lastCommand} ` +
    `user=${c.user} redir=-1 resp=${c.resp} lib-name=${c.libName} lib-ver=${c.libVer}`
  );
}

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

function clientList(f: FrontCall): void {
  let conns = f.front.liveConnections();
  for (let j = 2; j < f.argc; j++) {
    if (f.argIs(j, 'type') && j + 1 < f.argc) {
      const t = f.arg(++j).toLowerCase();
      if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(t)) return f.error(`ERR Unknown client type '${f.arg(j)}'`);
      if (t !== 'normal') conns = [];
    } else if (f.argIs(j, 'id') && j + 1 < f.argc) {
      const ids = new Set<number>();
      for (j++; j < f.argc; j++) {
        const s = f.arg(j);
        if (!/^\d+$/.test(s) || Number(s) <= 0) return f.error('ERR Invalid client ID');
        ids.add(Number(s));
      }
      conns = conns.filter((c) => ids.has(c.id));
    } else {
      return f.error('ERR syntax error');
    }
  }
  f.w.verbatim(conns.map((c) => clientLine(f, c) + '\n').join(''));
}

function clientInfo(f: FrontCall): void {
  f.w.verbatim(clientLine(f, f.conn) + '\n');
}

function clientKill(f: FrontCall): void {
  const conns = f.front.liveConnections();
  if (f.argc === 3) {
    // Old form: CLIENT KILL addr:port
    const addr = f.arg(2);
    const target = conns.find((c) => c.addr === addr);
    if (target === undefined) return f.error('ERR No such client');
    f.front.killConnection(target);
    return f.w.ok();
  }
  let matches = conns;
  let skipMe = true;
  for (let j = 2; j < f.argc; j += 2) {
    if (j + 1 >= f.argc) return f.error('ERR syntax error');
    const v = f.arg(j + 1);
    if (f.argIs(j, 'id')) {
      if (!/^\d+$/.test(v) || Number(v) <= 0) return f.error('ERR client-id should be greater than 0');
      matches = matches.filter((c) => c.id === Number(v));
    } else if (f.argIs(j, 'addr')) matches = matches.filter((c) => c.addr === v);
    else if (f.argIs(j, 'laddr')) matches = matches.filter((c) => c.laddr === v);
    else if (f.argIs(j, 'user')) matches = matches.filter((c) => c.user === v);
    else if (f.argIs(j, 'type')) {
      const t = v.toLowerCase();
      if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(t)) return f.error(`ERR Unknown client type '${v}'`);
      if (t !== 'normal') matches = [];
    } else if (f.argIs(j, 'skipme')) {
      if (v.toLowerCase() === 'yes') skipMe = true;
      else if (v.toLowerCase() === 'no') skipMe = false;
      else return f.error('ERR syntax error');
    } else if (f.argIs(j, 'maxage')) {
      if (!/^\d+$/.test(v)) return f.error('ERR value is not an integer or out of range');
      const maxAge = Number(v) * 1000;
      matches = matches.filter((c) => Date.now() - c.createdAt >= maxAge);
    } else return f.error('ERR syntax error');
  }
  if (skipMe) matches = matches.filter((c) => c !== f.conn);
  for (const c of matches) f.front.killConnection(c);
  f.w.int(matches.length);
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

/** CLIENT UNBLOCK id [TIMEOUT|ERROR]: answers 1 if that client was blocked. */
function clientUnblock(f: FrontCall): void {
  const idText = f.arg(2);
  if (!/^-?\d+$/.test(idText)) return f.error('ERR value is not an integer or out of range');
  let mode: 'timeout' | 'error' = 'timeout';
  if (f.argc === 4) {
    if (f.argIs(3, 'timeout')) mode = 'timeout';
    else if (f.argIs(3, 'error')) mode = 'error';
    else return f.error('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
  } else if (f.argc > 4) return f.error('ERR syntax error');
  const target = f.front.liveConnections().find((c) => c.id === Number(idText));
  if (target === undefined || target.blockedShards.length === 0) return f.w.int(0);
  const seq = f.defer();
  const c = f.conn;
  void f.front.unblock(target, mode).then((n) => {
    const reply = new TextEncoder().encode(`:${n}\r\n`);
    c.replyFront(seq, reply, 0, reply.length);
    f.front.markDirty(c);
  });
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
  'client|help': (f) => helpReply(f, CLIENT_HELP),
};

export { Simple };
