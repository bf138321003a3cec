/**
 * The AOF writer (persistence/aof-log.ts) on real files: the files a start
 * with appendonly yes creates, the merged batches appended to the incr file
 * (and `synced` moved past them), a rewrite's new incr file taking the
 * writes after its instant, and a disk that refuses writes (/dev/full):
 * the status INFO and MISCONF report, with strerror's text.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { AofFeed, type AofBatch } from '../../src/persistence/aof-feed.js';
import { AofLog, aofSettings, openAofDir } from '../../src/persistence/aof-log.js';
import { AofMode, AofState, createAofState } from '../../src/persistence/aof-state.js';
import { readAof } from '../../src/persistence/aof-reader.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-aoflog-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const log = pino({ level: 'silent' });

function settingsFor(dir: string): ReturnType<typeof aofSettings> {
  const config: Record<string, string> = { dir, appenddirname: 'appendonlydir', appendfilename: 'appendonly.aof', 'aof-use-rdb-preamble': 'yes', 'aof-timestamp-enabled': 'no' };
  return aofSettings((n) => config[n]);
}

function setup(name: string, mode = AofMode.Always): { dir: string; state: AofState; feed: AofFeed; batches: AofBatch[]; statuses: boolean[] } & ReturnType<typeof openAofDir> {
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  const settings = settingsFor(dir);
  const opened = openAofDir(settings, log);
  const state = new AofState(createAofState(1, mode), 1);
  const batches: AofBatch[] = [];
  return { dir, state, feed: new AofFeed(state, 0, (b) => batches.push(b)), batches, statuses: [], ...opened };
}

function commandsOf(file: string): string[] {
  const out: string[] = [];
  readAof(fs.readFileSync(file), (args) => out.push(args.map((a) => Buffer.from(a).toString()).join(' ')));
  return out;
}

describe('AOF writer', () => {
  it('a start with no AOF makes an empty RDB base, incr file 1 and the manifest, as Redis 7 names them', () => {
    const { dir, plan } = setup('fresh');
    const files = fs.readdirSync(path.join(dir, 'appendonlydir')).sort();
    expect(files).toEqual(['appendonly.aof.1.base.rdb', 'appendonly.aof.1.incr.aof', 'appendonly.aof.manifest']);
    expect(fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'utf8')).toBe(
      'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n',
    );
    expect(plan.base).toEqual({ file: 'appendonly.aof.1.base.rdb', rdb: true });
    expect(fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.base.rdb')).subarray(0, 9).toString()).toBe('REDIS0010');
  });

  it('appends what the threads send, and moves `synced` past it; a rewrite instant switches to the new incr file', () => {
    const s = setup('append');
    const w = new AofLog(s.state, settingsFor(s.dir), s.manifest, log, {
      writeStatus: (ok) => s.statuses.push(ok),
      fatal: () => {},
    });
    s.feed.rewritten(0, 0, [['SET', 'a', '1']]);
    s.feed.rewritten(2, 0, [['SET', 'b', '2']]);
    s.feed.flush();
    for (const b of s.batches.splice(0)) w.onBatch(b.thread, b.records);
    expect(s.state.synced).toBe(2n);
    const incr1 = path.join(s.dir, 'appendonlydir', 'appendonly.aof.1.incr.aof');
    expect(commandsOf(incr1)).toEqual(['SELECT 0', 'SET a 1', 'SELECT 2', 'SET b 2']);
    w.startRewrite();
    s.feed.rewritten(2, 0, [['SET', 'c', '3']]);
    s.feed.rotate();
    s.feed.rewritten(2, 0, [['SET', 'd', '4']]);
    s.feed.flush();
    for (const b of s.batches.splice(0)) w.onBatch(b.thread, b.records);
    expect(commandsOf(incr1)).toEqual(['SELECT 0', 'SET a 1', 'SELECT 2', 'SET b 2', 'SET c 3']);
    // The new file says its database again.
    expect(commandsOf(path.join(s.dir, 'appendonlydir', 'appendonly.aof.2.incr.aof'))).toEqual(['SELECT 2', 'SET d 4']);
    expect(s.statuses).toEqual([]);
    w.close();
  });

  it('a disk that refuses writes: the status goes to err with strerror\'s text, and appendfsync always cannot go on', () => {
    const s = setup('full', AofMode.Everysec);
    // The writer appends to the last incr file: make it /dev/full (every write fails with ENOSPC).
    const incr = path.join(s.dir, 'appendonlydir', 'appendonly.aof.1.incr.aof');
    fs.rmSync(incr);
    fs.symlinkSync('/dev/full', incr);
    const fatal: string[] = [];
    const w = new AofLog(s.state, settingsFor(s.dir), s.manifest, log, { writeStatus: (ok) => s.statuses.push(ok), fatal: (why) => fatal.push(why) });
    s.feed.rewritten(0, 0, [['SET', 'a', '1']]);
    s.feed.flush();
    for (const b of s.batches.splice(0)) w.onBatch(b.thread, b.records);
    expect(s.statuses).toEqual([false]);
    expect(s.state.lastWriteOk).toBe(false);
    expect(s.state.writeError).toBe('No space left on device');
    expect(s.state.synced).toBe(0n);
    expect(fatal).toEqual([]);
    s.state.mode = AofMode.Always;
    s.feed.rewritten(0, 0, [['SET', 'b', '1']]);
    s.feed.flush();
    for (const b of s.batches.splice(0)) w.onBatch(b.thread, b.records);
    expect(fatal.length).toBe(1);
    expect(fatal[0]).toContain("Can't recover from AOF write error when the AOF fsync policy is 'always'");
    w.close();
  });
});
