/**
 * Kill -9 trials: what a crash keeps of acknowledged writes. Each trial
 * starts Shoal on a fresh directory, has writer clients SET numbered keys
 * (w<c>:<i>, spread over every shard) as fast as acknowledgements come back,
 * and at a random moment sends Shoal SIGKILL. It is then restarted on the
 * same directory and checked against the promise of the persistence in use:
 *
 *  - snapshots (default): a saver repeats SAVE; every key acknowledged
 *    before the last SAVE that answered OK must be there;
 *  - `--appendfsync always`: every acknowledged key must be there, and the
 *    transfers a sixth client made between accounts on different shards
 *    (MULTI DECRBY/INCRBY EXEC) must have kept the total;
 *  - `--appendfsync everysec`: every key acknowledged more than a second
 *    before the kill must be there (the total is checked too).
 * No key a writer never sent may be there.
 *
 *   npm run build && node dist/bench/kill-trials.js [--trials 50] [--threads 4] [--writers 4] [--max-ms 1500] [--appendfsync always|everysec]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type RawClient, rawClient, sleep } from '../test/helpers/raw-client.js';
import { freePort, repoRoot } from '../test/helpers/servers.js';
import { fmtInt, intFlag, parseFlags } from './lib.js';

function start(port: number, dir: string, threads: number, fsync: string): ChildProcess {
  const main = path.join(repoRoot(), 'dist', 'src', 'main.js');
  const aof = fsync === '' ? [] : ['--appendonly', 'yes', '--appendfsync', fsync];
  return spawn(process.execPath, [main, '--port', String(port), '--threads', String(threads), '--dir', dir, '--save', '', '--loglevel', 'warning', ...aof], { stdio: 'ignore' });
}

const ACCOUNTS = 8;

async function connect(port: number): Promise<RawClient> {
  for (let i = 0; i < 400; i++) {
    try {
      const c = await rawClient(port);
      if ((await c.callText('PING')) === '+PONG\r\n') return c;
      c.destroy();
    } catch {
      /* not up yet */
    }
    await sleep(25);
  }
  throw new Error(`Shoal did not answer on port ${port}`);
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { trials: '50', threads: '4', writers: '4', 'max-ms': '1500', appendfsync: '' });
  const fsync = flags.get('appendfsync') ?? '';
  if (!['', 'always', 'everysec'].includes(fsync)) throw new Error('--appendfsync: always or everysec');
  const trials = intFlag(flags, 'trials');
  const threads = intFlag(flags, 'threads');
  const writers = intFlag(flags, 'writers');
  const maxMs = intFlag(flags, 'max-ms');
  // freePort's probe server is unref'd: something must keep this script's event loop alive.
  const keepAlive = setInterval(() => {}, 1000);
  let checked = 0;
  let missing = 0;
  let phantom = 0;
  let saves = 0;
  let transfers = 0;
  let badTotals = 0;
  let lostRecent = 0;
  for (let t = 1; t <= trials; t++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-kill-'));
    const port = await freePort();
    const server = start(port, dir, threads, fsync);
    const acked = new Array<number>(writers).fill(0);
    let durable = new Array<number>(writers).fill(0);
    let running = true;
    // Every client is connected before the clock for the kill starts.
    const clients: RawClient[] = [];
    for (let k = 0; k <= writers; k++) clients.push(await connect(port));
    if (fsync !== '') for (let a = 0; a < ACCOUNTS; a++) await clients[writers].callText('SET', `acct:${a}`, '1000');
    // everysec: what was acknowledged a second ago, sampled every 50 ms.
    const history: { at: number; acked: number[] }[] = [];
    const sampler = setInterval(() => history.push({ at: Date.now(), acked: [...acked] }), 50);
    const loops = Array.from({ length: writers }, async (_, w) => {
      const c = clients[w];
      for (let i = 1; running; i++) {
        const key = `w${w}:${i}`;
        const ok = await c.callText('SET', key, String(i)).catch(() => '');
        if (ok !== '+OK\r\n') return;
        acked[w] = i;
      }
    });
    const saver = (async () => {
      const c = clients[writers];
      if (fsync !== '') {
        // With an AOF the sixth client moves money between accounts of different shards.
        for (let i = 0; running; i++) {
          const a = `acct:${i % ACCOUNTS}`;
          const b = `acct:${(i + 3) % ACCOUNTS}`;
          const r = await c.callText('MULTI').then(() => c.callText('DECRBY', a, '5')).then(() => c.callText('INCRBY', b, '5')).then(() => c.callText('EXEC')).catch(() => '');
          if (!r.startsWith('*2')) return;
          transfers++;
        }
        return;
      }
      while (running) {
        const before = [...acked];
        const ok = await c.callText('SAVE').catch(() => '');
        if (ok !== '+OK\r\n') return;
        durable = before;
        saves++;
      }
    })();
    // everysec promises what is a second old: the kill comes after a second of writes at least.
    await sleep((fsync === 'everysec' ? 1000 : 0) + 200 + Math.floor(Math.random() * (maxMs - 200)));
    const killedAt = Date.now();
    server.kill('SIGKILL');
    running = false;
    clearInterval(sampler);
    await Promise.all([...loops, saver]);
    if (fsync === 'always') durable = [...acked];
    else if (fsync === 'everysec') durable = [...history].reverse().find((h) => h.at <= killedAt - 1000)?.acked ?? new Array<number>(writers).fill(0);
    for (const c of clients) c.destroy();
    await new Promise((r) => (server.exitCode !== null || server.signalCode !== null ? r(null) : server.once('exit', r)));

    const again = start(port, dir, threads, fsync);
    try {
      const c = await connect(port);
      for (let w = 0; w < writers; w++) {
        for (let i = 1; i <= durable[w]; i += 500) {
          const keys = Array.from({ length: Math.min(500, durable[w] - i + 1) }, (_, k) => `w${w}:${i + k}`);
          const n = Number((await c.callText('EXISTS', ...keys)).slice(1));
          checked += keys.length;
          missing += keys.length - n;
        }
        // A key no writer sent (one past the last acknowledged, plus one: the next may have been in flight).
        phantom += Number((await c.callText('EXISTS', `w${w}:${acked[w] + 2}`)).slice(1));
        // everysec: how much of the last second's acknowledged writes the crash took (allowed, reported).
        for (let i = durable[w] + 1; i <= acked[w]; i += 500) {
          const keys = Array.from({ length: Math.min(500, acked[w] - i + 1) }, (_, k) => `w${w}:${i + k}`);
          lostRecent += keys.length - Number((await c.callText('EXISTS', ...keys)).slice(1));
        }
      }
      if (fsync !== '') {
        let total = 0;
        for (let a = 0; a < ACCOUNTS; a++) total += Number((await c.callText('GET', `acct:${a}`)).split('\r\n')[1]);
        if (total !== ACCOUNTS * 1000) badTotals++;
      }
      c.destroy();
    } finally {
      again.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
    console.log(`trial ${t}: durable ${durable.map(fmtInt).join('/')} of acknowledged ${acked.map(fmtInt).join('/')}`);
  }
  clearInterval(keepAlive);
  const promise =
    fsync === ''
      ? `${fmtInt(saves)} SAVEs acknowledged`
      : `appendfsync ${fsync}, ${fmtInt(transfers)} transfers across shards, ${badTotals} totals wrong, ${fmtInt(lostRecent)} writes of the last second lost`;
  console.log(`\n${trials} trials, ${promise}, ${fmtInt(checked)} keys checked: ${missing} missing, ${phantom} never written yet present`);
  if (missing > 0 || phantom > 0 || badTotals > 0) process.exit(1);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
