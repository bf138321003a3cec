// Dumps COMMAND INFO / COMMAND DOCS (without "arguments") of a running Redis as
// JSON, over RESP3, keeping the reply types visible. Used to cross-check
// src/commands/catalog.ts against the real server.
//   node scripts/dump-redis-commands.mjs PORT name [name...]  > out.json
import net from 'node:net';

function parse(buf, pos) {
  const t = String.fromCharCode(buf[pos]);
  const eol = buf.indexOf('\r\n', pos, 'latin1');
  if (eol < 0) return null;
  const line = buf.toString('utf8', pos + 1, eol);
  let p = eol + 2;
  const agg = (n, mk) => {
    const out = [];
    for (let i = 0; i < n; i++) {
      const r = parse(buf, p);
      if (!r) return null;
      out.push(r[0]);
      p = r[1];
    }
    return [mk(out), p];
  };
  switch (t) {
    case '+': return [{ simple: line }, p];
    case '-': return [{ error: line }, p];
    case ':': return [Number(line), p];
    case '_': return [null, p];
    case '$': {
      const n = Number(line);
      if (n < 0) return [null, p];
      if (buf.length < p + n + 2) return null;
      return [buf.toString('utf8', p, p + n), p + n + 2];
    }
    case '*': return agg(Number(line), (a) => a);
    case '~': return agg(Number(line), (a) => ({ set: a }));
    case '%': return agg(Number(line) * 2, (a) => {
      const m = [];
      for (let i = 0; i < a.length; i += 2) m.push([a[i], a[i + 1]]);
      return { map: m };
    });
    default: throw new Error('unexpected type ' + t);
  }
}

function stripArgs(v) {
  if (v && typeof v === 'object' && 'map' in v) {
    return { map: v.map.filter(([k]) => k !== 'arguments').map(([k, x]) => [k, stripArgs(x)]) };
  }
  return v;
}

const [, , port, ...names] = process.argv;
const sock = net.connect(Number(port), '127.0.0.1');
const enc = (a) => `*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join('');
let buf = Buffer.alloc(0);
const want = 3;
const replies = [];
sock.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  for (;;) {
    if (buf.length === 0) break;
    const r = parse(buf, 0);
    if (!r) break;
    replies.push(r[0]);
    buf = buf.subarray(r[1]);
  }
  if (replies.length === want) {
    sock.end();
    const [, info, docs] = replies;
    process.stdout.write(JSON.stringify({ info, docs: stripArgs(docs) }, null, 1));
  }
});
sock.on('connect', () => {
  sock.write(enc(['HELLO', '3']));
  sock.write(enc(['COMMAND', 'INFO', ...names]));
  sock.write(enc(['COMMAND', 'DOCS', ...names]));
});
