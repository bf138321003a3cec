/**
 * Settings that concern every thread's connections, each with its own
 * Shoal (4 threads), compared with redis-server where it has the setting:
 * maxclients counted across threads, timeout closing idle clients on every
 * thread, --port 0 (the kernel's port, joined by every thread), the unix
 * socket (served by thread 0), and starting: --version, and an old Node.js.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw-client.js';
import { type ServerHandle, repoRoot, sleep, startAll, startRedis, startShoal } from '../helpers/servers.js';
import { oneKeyPerShard } from '../helpers/shards.js';
import { bulkText, clientInfo, connectSpread, sameTranscript, threadPool, threadsOf } from '../helpers/threads.js';

const THREADS = 4;
const MAIN = path.join(repoRoot(), 'dist', 'src', 'main.js');

const opened: RawClient[] = [];
afterEach(() => {
  for (const c of opened.splice(0)) c.destroy();
});

async function connect(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  opened.push(c);
  return c;
}

function infoField(info: string, field: string): string {
  const m = new RegExp(`^${field}:(.*)$`, 'm').exec(info);
  if (!m) throw new Error(`no ${field} in INFO: ${info}`);
  return m[1].trim();
}

/** Runs a scenario on redis-server (threads = 1) then on Shoal; expects the same transcript. */
async function same(redis: ServerHandle, shoal: ServerHandle, scenario: (port: number, threads: number, out: unknown[]) => Promise<void>): Promise<void> {
  await sameTranscript(redis, shoal, THREADS, opened, scenario);
}

describe('maxclients counts the connections of every thread', () => {
  const MAX = 5;
  const REFUSED = '-ERR max number of clients reached\r\n';
  let redis: ServerHandle;
  let shoal: ServerHandle;
  beforeAll(async () => {
    [redis, shoal] = await startAll(startRedis({ args: ['--maxclients', String(MAX)] }), startShoal({ threads: THREADS, args: ['--maxclients', String(MAX)] }));
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), shoal?.stop()]);
  });

  it(`refuses connection ${MAX + 1} whichever thread it lands on, and takes a new one once one closes`, async () => {
    await same(redis, shoal, async (port, threads, out) => {
      let refused = 0;
      /** Opens a connection the server accepts; a refused one (a close of ours not processed yet) is counted and retried. */
      const admitted = async (): Promise<RawClient> => {
        for (let attempt = 0; attempt < 200; attempt++) {
          const c = await connect(port);
          await c.write('*1\r\n$4\r\nPING\r\n');
          const r = (await c.readReply(5000)).toString('latin1');
          if (r === '+PONG\r\n') return c;
          expect(r).toBe(REFUSED);
          refused++;
          c.destroy();
          await sleep(20);
        }
        throw new Error('no connection admitted in 200 attempts');
      };
      // MAX connections covering all 4 threads: one thread has 2 and every other 1, so
      // a limit counted by thread would let the next connection in wherever it lands.
      const held = await connectSpread(port, MAX, threads, { connect: admitted });
      if (threads > 1) expect(threadsOf(held)).toEqual([0, 1, 2, 3]);
      out.push(held.length);
      // Connections refused while spreading (our surplus closes still counted) are part of the statistics.
      for (let i = 0; i < 12; i++) {
        const c = await connect(port);
        // Refused at once: the error, then the close (nothing is read from it).
        out.push((await c.readUntilClose(10_000)).toString('latin1'));
        refused++;
      }
      const info = bulkText(await held[0].client.call('INFO'));
      out.push(infoField(info, 'connected_clients'), infoField(info, 'maxclients'));
      out.push(Number(infoField(info, 'rejected_connections')) === refused);
      // One goes (on a thread other than held[0]'s where there are several); a new one gets in.
      const leaving = held.find((h) => h.thread !== held[0].thread) ?? held[1];
      leaving.client.destroy();
      const newcomer = await admitted();
      out.push(await newcomer.callText('PING'));
      out.push(infoField(bulkText(await newcomer.call('INFO', 'clients')), 'connected_clients'));
      const another = await connect(port);
      out.push((await another.readUntilClose(10_000)).toString('latin1'));
    });
  });
});

describe('timeout closes idle clients on every thread', () => {
  let redis: ServerHandle;
  let shoal: ServerHandle;
  beforeAll(async () => {
    [redis, shoal] = await startAll(startRedis({ args: ['--timeout', '1'] }), startShoal({ threads: THREADS, args: ['--timeout', '1'] }));
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), shoal?.stop()]);
  });

  it('closes idle clients after about a second, not clients that keep talking, nor blocked ones', async () => {
    await same(redis, shoal, async (port, threads, out) => {
      // On each thread: one idle client, one that keeps sending commands, one blocked.
      const pool = await threadPool(port, threads, (3 * THREADS) / threads);
      for (const c of pool.clients) opened.push(c.client);
      const idle = [0, 1, 2, 3].map((t) => pool.take(t));
      const active = [0, 1, 2, 3].map((t) => pool.take(t));
      const blocked = [0, 1, 2, 3].map((t) => pool.take(t));
      if (threads > 1) for (const group of [idle, active, blocked]) expect(threadsOf(group)).toEqual([0, 1, 2, 3]);
      const keys = oneKeyPerShard('tmo');
      await active[0].client.callText('DEL', ...keys);
      const lastReply = new Map<RawClient, number>();
      for (const s of idle) {
        expect(await s.client.callText('PING')).toBe('+PONG\r\n');
        lastReply.set(s.client, Date.now());
      }
      for (let i = 0; i < 4; i++) await blocked[i].client.write(`*3\r\n$5\r\nBLPOP\r\n$${keys[i].length}\r\n${keys[i]}\r\n$1\r\n0\r\n`);
      // The active clients talk every 100 ms while the idle ones are closed.
      let talking = true;
      const talks = Promise.all(
        active.map(async (s) => {
          let n = 0;
          while (talking) {
            expect(await s.client.callText('PING')).toBe('+PONG\r\n');
            n++;
            await sleep(100);
          }
          return n;
        }),
      );
      const closedAfter: number[] = [];
      for (const s of idle) {
        // Generous: Redis counts idle time in whole seconds, and a cron notices it.
        const closed = await s.client.waitClosed(15_000);
        out.push(closed);
        if (closed) closedAfter.push(Date.now() - lastReply.get(s.client)!);
      }
      // Not right away: only once idle for the timeout (measured from the last reply seen, which
      // comes a little after the server's last interaction: hence 500 rather than 1000).
      for (const ms of closedAfter) expect(ms).toBeGreaterThanOrEqual(500);
      // Still a while past the timeout for the others.
      await sleep(1500);
      talking = false;
      // Every active client kept talking through the whole window.
      for (const n of await talks) expect(n).toBeGreaterThan(0);
      for (const s of active) out.push(s.client.closed, await s.client.callText('PING'));
      for (const s of blocked) out.push(s.client.closed);
      for (let i = 0; i < 4; i++) out.push(await active[0].client.callText('RPUSH', keys[i], `v${i}`));
      for (const s of blocked) out.push((await s.client.readReply(5000)).toString('latin1'));
    });
  });
});

describe('--port 0', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
    }
    child = undefined;
  });

  it('starts on a port the kernel picks, logs it, and every thread accepts on it', async () => {
    const proc = spawn(process.execPath, [MAIN, '--port', '0', '--threads', String(THREADS), '--save', '', '--loglevel', 'notice'], {
      cwd: repoRoot(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let output = '';
    proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line within 30 s:\n${output}`)), 30_000);
      const look = () => {
        for (const line of output.split('\n')) {
          if (!line.includes('ready to accept connections')) continue;
          clearTimeout(timer);
          resolve(JSON.parse(line) as Record<string, unknown>);
        }
      };
      proc.stdout!.on('data', look);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited (${code}) before it was ready:\n${output}`));
      });
    });
    expect(ready.msg).toBe('Shoal is ready to accept connections');
    expect(ready.threads).toBe(THREADS);
    const port = ready.port as number;
    expect(Number.isInteger(port) && port > 0).toBe(true);
    // Connections spread over the 4 threads: all of them joined the port thread 0 got.
    const spread = await connectSpread(port, THREADS, THREADS);
    for (const s of spread) opened.push(s.client);
    expect(threadsOf(spread)).toEqual([0, 1, 2, 3]);
    for (const s of spread) expect(await s.client.callText('SET', `p0:${s.thread}`, 'x')).toBe('+OK\r\n');
    expect(await spread[0].client.callText('DBSIZE')).toBe(':4\r\n');
    proc.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
    expect(code).toBe(0);
  });
});

describe('--unixsocket', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-unix-'));
  const shoalPath = path.join(dir, 'shoal.sock');
  const redisPath = path.join(dir, 'redis.sock');
  let redis: ServerHandle;
  let shoal: ServerHandle;
  beforeAll(async () => {
    [redis, shoal] = await startAll(
      startRedis({ args: ['--unixsocket', redisPath, '--unixsocketperm', '700'] }),
      startShoal({ threads: THREADS, args: ['--unixsocket', shoalPath, '--unixsocketperm', '700'] }),
    );
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), shoal?.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves PING/SET/GET over the socket, sharing keys of every shard with TCP clients, as redis-server does', async () => {
    const cases: [ServerHandle, string][] = [
      [redis, redisPath],
      [shoal, shoalPath],
    ];
    const transcripts: unknown[][] = [];
    for (const [server, sock] of cases) {
      const out: unknown[] = [];
      const st = fs.statSync(sock);
      out.push(st.isSocket(), (st.mode & 0o777).toString(8));
      const u = await RawClient.connectUnix(sock);
      opened.push(u);
      out.push(await u.callText('PING'));
      const info = await clientInfo(u);
      out.push(info.addr === `${sock}:0`, info.laddr === `${sock}:0`);
      const tcp = await connect(server.port);
      const keys = oneKeyPerShard('unix');
      for (const k of keys) out.push(await tcp.callText('SET', k, `tcp-${k}`));
      for (const k of keys) out.push(await u.callText('GET', k));
      out.push(await u.callText('MSET', ...keys.flatMap((k) => [k, `unix-${k}`])));
      out.push(await tcp.callText('MGET', ...keys));
      out.push(await u.callText('DEL', ...keys));
      transcripts.push(out);
      if (server === shoal) {
        // Thread 0 serves the socket.
        expect(info['io-thread']).toBe('0');
      }
    }
    expect(transcripts[1]).toEqual(transcripts[0]);
  });

  it('lets a TCP client on another thread see and kill the socket client', async () => {
    const spread = await connectSpread(shoal.port, THREADS, THREADS);
    for (const s of spread) opened.push(s.client);
    expect(threadsOf(spread)).toEqual([0, 1, 2, 3]);
    // A TCP client on a thread other than thread 0, which serves the socket.
    const other = spread.find((s) => s.thread !== 0)!;
    const u = await RawClient.connectUnix(shoalPath);
    opened.push(u);
    const id = Number((await u.callText('CLIENT', 'ID')).slice(1, -2));
    const list = bulkText(await other.client.call('CLIENT', 'LIST', 'ID', String(id)));
    expect(list).toContain(`addr=${shoalPath}:0`);
    expect(list).toContain('io-thread=0');
    expect(await other.client.callText('CLIENT', 'KILL', 'ADDR', `${shoalPath}:0`)).toBe(':1\r\n');
    expect(await u.waitClosed(5000)).toBe(true);
  });

  it('removes the socket file when it stops, as redis-server does', async () => {
    for (const c of opened.splice(0)) c.destroy();
    await Promise.all([redis.stop(), shoal.stop()]);
    expect([fs.existsSync(redisPath), fs.existsSync(shoalPath)]).toEqual([false, false]);
  });
});

/** Runs a command; resolves with its exit code and output (never rejects on a non-zero exit). */
function run(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: repoRoot(), env, timeout: 30_000 }, (err, stdout, stderr) => {
      // On a non-zero exit, err.code is the exit status (a number); killed by a signal, there is none.
      const status = (err as { code?: unknown } | null)?.code;
      resolve({ code: err === null ? 0 : typeof status === 'number' ? status : null, stdout, stderr });
    });
  });
}

describe('starting', () => {
  it('shoal --version prints its version and exits 0', async () => {
    const version = (JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version;
    for (const flag of ['--version', '-v']) {
      const r = await run(process.execPath, [MAIN, flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`Shoal server v=${version}\n`);
      expect(r.stderr).toBe('');
    }
  });

  // The system's Node.js (what `node` is with a bare PATH), not the one npm brings.
  const bareEnv = { PATH: '/usr/local/bin:/usr/bin:/bin' };
  it('on a Node.js older than 22.12, prints one line naming 22.12 and exits non-zero', async (ctx) => {
    const v = await run('/usr/bin/env', ['-i', `PATH=${bareEnv.PATH}`, 'node', '--version'], {});
    const m = /^v(\d+)\.(\d+)\./.exec(v.stdout.trim());
    if (v.code !== 0 || m === null) {
      ctx.skip(`no system node to try (node --version with PATH=${bareEnv.PATH}: code ${v.code}, ${JSON.stringify(v.stdout + v.stderr)})`);
      return;
    }
    const [major, minor] = [Number(m[1]), Number(m[2])];
    if (major > 22 || (major === 22 && minor >= 12)) {
      ctx.skip(`the system node is ${v.stdout.trim()}, not older than 22.12: nothing to check on this machine`);
      return;
    }
    const r = await run('/usr/bin/env', ['-i', `PATH=${bareEnv.PATH}`, 'node', MAIN, '--port', '0'], {});
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('22.12');
    expect(lines[0]).toContain(v.stdout.trim());
  });
});
