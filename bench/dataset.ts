/**
 * Loading a benchmark dataset through a raw pipelined socket (bench/memory.ts,
 * bench/persistence.ts). --shape picks the data:
 *   strings  N keys: SET key:%010d <value-size bytes> (an element = a key)
 *   hash     one hash of N fields: HSET bighash field:%010d <value>
 *   zset     one sorted set of N members: ZADD bigzset <i> member:%010d
 *   hashes   N/10 hashes of 10 fields: HSET hash:%08d f0 <value> ... f9 <value>
 */
import type { RawClient } from '../test/helpers/raw-client.js';

function valueFor(i: number, size: number): string {
  const head = `v${i.toString(36)}:`;
  return (head + 'x'.repeat(Math.max(0, size - head.length))).slice(0, size);
}

export const SHAPES = ['strings', 'hash', 'zset', 'hashes'] as const;
export type Shape = (typeof SHAPES)[number];

/** The command that loads element i (for hashes: the 10 fields of hash i/10, sent when i % 10 === 0). */
function commandFor(shape: Shape, i: number, valueSize: number): string | null {
  const bulk = (x: string) => `$${x.length}\r\n${x}\r\n`;
  const cmd = (...xs: string[]) => `*${xs.length}\r\n${xs.map(bulk).join('')}`;
  const id = i.toString().padStart(10, '0');
  switch (shape) {
    case 'strings':
      return cmd('SET', `key:${id}`, valueFor(i, valueSize));
    case 'hash':
      return cmd('HSET', 'bighash', `field:${id}`, valueFor(i, valueSize));
    case 'zset':
      return cmd('ZADD', 'bigzset', String(i), `member:${id}`);
    case 'hashes': {
      if (i % 10 !== 0) return null;
      const fv: string[] = [];
      for (let f = 0; f < 10; f++) fv.push(`f${f}`, valueFor(i + f, valueSize));
      return cmd('HSET', `hash:${(i / 10).toString().padStart(8, '0')}`, ...fv);
    }
  }
}

/** The key a one-key shape loads into (null: keys everywhere). */
export function shapeKey(shape: Shape): string | null {
  return shape === 'hash' ? 'bighash' : shape === 'zset' ? 'bigzset' : null;
}

/** The commands that load elements [0, n), in chunks of `chunk` elements: [RESP text, commands]. */
function* chunks(shape: Shape, n: number, valueSize: number, chunk: number): Generator<[string, number]> {
  for (let base = 0; base < n; base += chunk) {
    let s = '';
    let m = 0;
    for (let i = base; i < Math.min(n, base + chunk); i++) {
      const c = commandFor(shape, i, valueSize);
      if (c === null) continue;
      s += c;
      m++;
    }
    yield [s, m];
  }
}

/**
 * Loads elements [0, n) pipelined in chunks; checks that no reply is an
 * error. With `stream` it writes everything at once without waiting for
 * replies, as `redis-cli --pipe` does (see streamLoad).
 */
export async function load(client: RawClient, shape: Shape, n: number, valueSize: number, chunk: number, stream = false): Promise<number> {
  if (stream) return streamLoad(client, shape, n, valueSize, chunk);
  const started = Date.now();
  let sent = 0;
  let acked = 0;
  const ack = async (count: number) => {
    const replies = await client.readReplies(count, 120_000);
    for (const r of replies) if (r[0] === 0x2d) throw new Error(`error after ${acked} commands: ${r.toString('latin1').slice(0, 120)}`);
    acked += count;
  };
  for (const [s, m] of chunks(shape, n, valueSize, chunk)) {
    if (!(await client.write(s))) throw new Error('connection closed during load');
    sent += m;
    // Keep at most two chunks in flight.
    if (sent - acked > 2 * chunk) await ack(Math.min(chunk, sent - acked));
  }
  while (acked < sent) await ack(Math.min(chunk, sent - acked));
  return Date.now() - started;
}

/**
 * The whole load built first, then handed to the socket in one write, so
 * the kernel feeds the server as fast as it reads, as `redis-cli --pipe`
 * does; replies (one line each for these shapes) are counted as they come,
 * without parsing them into objects, so the client keeps up as redis-cli does.
 */
async function streamLoad(client: RawClient, shape: Shape, n: number, valueSize: number, chunk: number): Promise<number> {
  const parts: Buffer[] = [];
  let expected = 0;
  for (const [s, m] of chunks(shape, n, valueSize, chunk)) {
    parts.push(Buffer.from(s, 'latin1'));
    expected += m;
  }
  const whole = Buffer.concat(parts);
  parts.length = 0;
  const socket = client.socket;
  const readers = socket.listeners('data') as ((b: Buffer) => void)[];
  socket.removeAllListeners('data');
  const started = Date.now();
  try {
    await new Promise<void>((resolve, reject) => {
      let lines = 0;
      socket.on('data', (b: Buffer) => {
        for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) lines++;
        if (b.includes('\r\n-')) reject(new Error(`an error reply: ${b.toString('latin1', b.indexOf('\r\n-'), b.indexOf('\r\n-') + 120)}`));
        if (lines >= expected) resolve();
      });
      socket.once('close', () => reject(new Error('connection closed during load')));
      socket.write(whole);
    });
  } finally {
    socket.removeAllListeners('data');
    for (const r of readers) socket.on('data', r);
  }
  return Date.now() - started;
}
