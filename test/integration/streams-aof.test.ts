/**
 * What the stream commands write to the AOF, against redis-server 7.0: the
 * same commands run on both servers (appendonly yes), and the commands in
 * their incr files must be the same, in order: XADD with the ID it made,
 * approximate trims made exact, XREADGROUP/XCLAIM/XAUTOCLAIM as XCLAIM …
 * FORCE JUSTID LASTID, XGROUP SETID and CREATECONSUMER, commands that
 * changed nothing left out. Delivery times (XCLAIM's TIME) are each
 * server's clock: compared within a few seconds. MULTI/EXEC around one
 * command's effects are left aside (Redis wraps them; Shoal records them
 * as one transaction of its own).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { incrCommands } from '../helpers/aof-commands.js';
import { type RawClient, type ServerHandle, rawClient, sleep, startRedis, startShoal } from '../helpers/servers.js';
import { scratch } from '../helpers/scratch.js';

const { root } = scratch('shoal-stream-aof-');
const servers: ServerHandle[] = [];
const clients: RawClient[] = [];
afterAll(async () => {
  for (const c of clients) c.destroy();
  await Promise.all(servers.map((s) => s.stop()));
});

/** The same command lists, with XCLAIM's TIME allowed to differ by up to 5 s. */
function sameCommands(got: string[][], want: string[][]): void {
  // Redis keeps LIMIT in an approximate trim it made exact; Shoal leaves it out (docs/types/streams.md).
  want = want.map((c) => {
    const i = c.indexOf('LIMIT');
    return (c[0] === 'XADD' || c[0] === 'XTRIM') && c.includes('=') && i > 0 ? [...c.slice(0, i), ...c.slice(i + 2)] : c;
  });
  expect(got.map((c) => c.join(' ').replace(/ TIME \d+/, ' TIME t'))).toEqual(want.map((c) => c.join(' ').replace(/ TIME \d+/, ' TIME t')));
  for (let i = 0; i < want.length; i++) {
    const t = want[i]!.indexOf('TIME');
    if (want[i]![0] === 'XCLAIM' && t > 0) expect(Math.abs(Number(got[i]![t + 1]) - Number(want[i]![t + 1]))).toBeLessThan(5000);
  }
}

const SCRIPT: string[][] = [
  ['XADD', 's', '1-1', 'a', '1'],
  ['XADD', 's', '1-*', 'a', '2'],
  ['XADD', 's', '5', 'b', '3'],
  ['XADD', 's', '5-*', 'c', '4'],
  ['XADD', 'nope', 'NOMKSTREAM', '1-1', 'a', '1'],
  ['XADD', 's', 'MAXLEN', '~', '2', 'LIMIT', '10', '6-*', 'd', '5'],
  ['XADD', 's', 'MAXLEN', '=', '10', '7-1', 'e', '6'],
  ['XADD', 's', 'MINID', '~', '0', '8-1', 'f', '7'],
  ['XDEL', 's', '99-1'],
  ['XDEL', 's', '6-0'],
  ['XTRIM', 's', 'MAXLEN', '100'],
  ['XTRIM', 's', 'MINID', '~', '7'],
  ['XSETID', 's', '20-0', 'ENTRIESADDED', '30', 'MAXDELETEDID', '6-0'],
  ['XGROUP', 'CREATE', 's', 'g', '0'],
  ['XGROUP', 'CREATE', 't', 'g', '$', 'MKSTREAM', 'ENTRIESREAD', '0'],
  ['XGROUP', 'CREATE', 's', 'g', '0'],
  ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 's', '>'],
  ['XREADGROUP', 'GROUP', 'g', 'bob', 'NOACK', 'STREAMS', 's', '>'],
  ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '0'],
  ['XREADGROUP', 'GROUP', 'g', 'carol', 'STREAMS', 's', '>'],
  ['XACK', 's', 'g', '7-1', '99-9'],
  ['XACK', 's', 'g', '99-9'],
  ['XCLAIM', 's', 'g', 'dave', '0', '7-1', 'JUSTID'],
  ['XCLAIM', 's', 'g', 'dave', '0', '8-1', 'FORCE', 'RETRYCOUNT', '5', 'LASTID', '30-0'],
  ['XCLAIM', 's', 'g', 'erin', '3600000', '7-1'],
  ['XAUTOCLAIM', 's', 'g', 'erin', '0', '0', 'COUNT', '1'],
  ['XGROUP', 'CREATECONSUMER', 's', 'g', 'frank'],
  ['XGROUP', 'CREATECONSUMER', 's', 'g', 'frank'],
  ['XGROUP', 'DELCONSUMER', 's', 'g', 'frank'],
  ['XGROUP', 'DELCONSUMER', 's', 'g', 'nobody'],
  ['XGROUP', 'SETID', 's', 'g', '$', 'ENTRIESREAD', '2'],
  ['XGROUP', 'DESTROY', 't', 'g'],
  ['XGROUP', 'DESTROY', 't', 'g'],
  ['XREAD', 'STREAMS', 's', '0'],
];

describe('the AOF of stream commands, against redis-server', () => {
  it('records what Redis records', async () => {
    const rdir = fs.mkdtempSync(path.join(root, 'r-'));
    const sdir = fs.mkdtempSync(path.join(root, 's-'));
    const r = await startRedis({ args: ['--dir', rdir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''] });
    const s = await startShoal({ threads: 4, args: ['--dir', sdir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''] });
    servers.push(r, s);
    const [rc, sc] = await Promise.all([rawClient(r.port), rawClient(s.port)]);
    clients.push(rc, sc);
    for (const cmd of SCRIPT) {
      const want = await rc.callText(...cmd);
      expect(await sc.callText(...cmd), cmd.join(' ')).toBe(want);
    }
    // appendfsync always: written by the reply; a moment for the files to be closed.
    await sleep(200);
    sameCommands(incrCommands(sdir), incrCommands(rdir));
  }, 60_000);
});
