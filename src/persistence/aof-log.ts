/**
 * The AOF writer, run by the supervisor (the main thread, which holds no
 * keys and serves no client): it owns the append-only directory and its
 * manifest, takes the threads' batches, merges them (aof-merge.ts) and
 * appends them to the current incr file, syncing as appendfsync says:
 *
 *  - always: fsync after every write; threads hold their clients' replies
 *    until `synced` covers the records made before them (aof-state.ts);
 *  - everysec: a background fsync once a second (libuv's pool, as Redis's
 *    bio thread); a crash of the machine loses about the last second;
 *  - no: the kernel flushes when it likes.
 *
 * Files and names are Redis 7's multi-part AOF (aof-manifest.ts):
 * `<dir>/<appenddirname>/<appendfilename>.manifest`, a base file (an RDB
 * with `aof-base` set, or a command stream) and incr files.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import {
  type AofFile,
  type AofManifest,
  formatManifest,
  incrName,
  baseName,
  manifestName,
  manifestWithoutHistory,
  nextManifestAfterRewrite,
  nextManifestWithNewIncr,
  parseManifest,
} from './aof-manifest.js';
import { rdbEntries } from './rdb-reader.js';
import { streamAsCommands } from './rdb-stream.js';
import type { RdbEntry } from './rdb-value.js';
import { formatDouble17g } from '../util/numbers.js';
import { AofMerge } from './aof-merge.js';
import { hasRdbPreamble } from './aof-reader.js';
import { AofMode, type AofState } from './aof-state.js';
import { AofBuffer } from './aof-writer.js';
import { RdbWriter } from './rdb-writer.js';
import { DEFAULT_LIMITS } from './rdb-value.js';
import { writeRdbHeader } from './snapshot.js';

/** What the threads load at start: the base, then each incr file in order. */
export interface AofLoadPlan {
  dir: string;
  base: { file: string; rdb: boolean } | null;
  incr: string[];
}

export interface AofSettings {
  dir: string;
  appenddirname: string;
  appendfilename: string;
  rdbPreamble: boolean;
  timestamps: boolean;
}

export function aofSettings(get: (name: string) => string): AofSettings {
  return {
    dir: get('dir'),
    appenddirname: get('appenddirname'),
    appendfilename: get('appendfilename'),
    rdbPreamble: get('aof-use-rdb-preamble') === 'yes',
    timestamps: get('aof-timestamp-enabled') === 'yes',
  };
}

/** An empty dataset as an AOF base file: an RDB with no keys, or an empty command stream. */
function emptyBase(rdb: boolean): Uint8Array {
  if (!rdb) return new Uint8Array(0);
  const w = new RdbWriter({ compress: false, checksum: true, limits: DEFAULT_LIMITS });
  writeRdbHeader(w, true);
  w.finish();
  return w.take();
}

function writeFileSynced(file: string, bytes: Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* not every platform syncs directories */
  }
}

/** Writes the manifest as Redis does: a temp file, fsynced, renamed over it. */
export function persistManifest(dir: string, appendfilename: string, m: AofManifest): void {
  const tmp = path.join(dir, `temp-${manifestName(appendfilename)}`);
  writeFileSynced(tmp, Buffer.from(formatManifest(m), 'utf8'));
  fs.renameSync(tmp, path.join(dir, manifestName(appendfilename)));
  fsyncDir(dir);
}

/**
 * Reads the manifest, or makes the AOF's first files when there is none
 * (an empty base and incr file 1, as Redis creates them on a start with
 * appendonly yes and no AOF). Throws, naming the file, when the manifest
 * is invalid or names a file that is not there.
 */
export function openAofDir(s: AofSettings, log: Logger): { manifest: AofManifest; plan: AofLoadPlan } {
  const dir = path.join(s.dir, s.appenddirname);
  const mfile = path.join(dir, manifestName(s.appendfilename));
  let manifest: AofManifest;
  if (fs.existsSync(mfile)) {
    try {
      manifest = parseManifest(fs.readFileSync(mfile));
    } catch (err) {
      throw new Error(`${(err as Error).message} (in ${mfile})`);
    }
    for (const f of [...(manifest.base ? [manifest.base] : []), ...manifest.incr]) {
      if (!fs.existsSync(path.join(dir, f.name))) throw new Error(`The AOF file ${f.name} named in ${mfile} doesn't exist`);
    }
    if (manifest.incr.length === 0) {
      // Redis always appends to an incr file: a manifest without one gets one.
      const file = { name: incrName(s.appendfilename, 1), seq: 1, type: 'i' as const };
      fs.writeFileSync(path.join(dir, file.name), '');
      manifest = { ...manifest, incr: [file] };
      persistManifest(dir, s.appendfilename, manifest);
    }
  } else {
    fs.mkdirSync(dir, { recursive: true });
    const base = { name: baseName(s.appendfilename, 1, s.rdbPreamble), seq: 1, type: 'b' as const };
    const incr = { name: incrName(s.appendfilename, 1), seq: 1, type: 'i' as const };
    writeFileSynced(path.join(dir, base.name), emptyBase(s.rdbPreamble));
    log.info(`Creating AOF base file ${base.name} on server start`);
    writeFileSynced(path.join(dir, incr.name), new Uint8Array(0));
    log.info(`Creating AOF incr file ${incr.name} on server start`);
    manifest = { base, incr: [incr], history: [] };
    persistManifest(dir, s.appendfilename, manifest);
  }
  // A base is an RDB when it starts as one, whatever its name says (Redis looks at the bytes too).
  const base = manifest.base ? { file: manifest.base.name, rdb: startsAsRdb(path.join(dir, manifest.base.name)) } : null;
  return { manifest, plan: { dir, base, incr: manifest.incr.map((f) => f.name) } };
}

function startsAsRdb(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(5);
    const n = fs.readSync(fd, head, 0, 5, 0);
    return hasRdbPreamble(head.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * An AOF rewrite's new base (the snapshot at `temp`, an RDB) installed in
 * the manifest: with aof-use-rdb-preamble no it is written as commands
 * first. The old base and the incr files it covers become history, are
 * deleted, and the manifest is written again without them, as Redis does.
 * Returns the new manifest and the base's size.
 */
export function installBase(s: AofSettings, m: AofManifest, temp: string, aofOn: boolean): { manifest: AofManifest; baseBytes: number } {
  const dir = path.join(s.dir, s.appenddirname);
  const next = nextManifestAfterRewrite(m, s.appendfilename, s.rdbPreamble, aofOn);
  const file = path.join(dir, next.file.name);
  if (s.rdbPreamble) fs.renameSync(temp, file);
  else {
    writeFileSynced(file, rdbAsCommands(fs.readFileSync(temp)));
    fs.rmSync(temp, { force: true });
  }
  persistManifest(dir, s.appendfilename, next.manifest);
  for (const h of next.manifest.history) fs.rmSync(path.join(dir, h.name), { force: true });
  const clean = manifestWithoutHistory(next.manifest);
  persistManifest(dir, s.appendfilename, clean);
  return { manifest: clean, baseBytes: fs.statSync(file).size };
}

/** The manifest of `dir` (a fresh one when there is none), for a rewrite while appendonly is off. */
export function readManifest(s: AofSettings): AofManifest {
  const mfile = path.join(s.dir, s.appenddirname, manifestName(s.appendfilename));
  fs.mkdirSync(path.join(s.dir, s.appenddirname), { recursive: true });
  return fs.existsSync(mfile) ? parseManifest(fs.readFileSync(mfile)) : { base: null, incr: [], history: [] };
}

/** Items per command when a base is written as commands (Redis's AOF_REWRITE_ITEMS_PER_CMD). */
const ITEMS_PER_COMMAND = 64;

/** A snapshot (RDB) as the commands that make its keys, as Redis's rewrite writes them without the RDB preamble. */
function rdbAsCommands(rdb: Uint8Array): Uint8Array {
  const out = new AofBuffer();
  const it = rdbEntries(rdb);
  for (let r = it.next(); !r.done; r = it.next()) {
    const e: RdbEntry = r.value;
    const v = e.value;
    const batched = (cmd: string, items: (Uint8Array | string)[], per: number): void => {
      for (let i = 0; i < items.length; i += ITEMS_PER_COMMAND * per) out.append(e.db, [cmd, e.key, ...items.slice(i, i + ITEMS_PER_COMMAND * per)]);
    };
    if (v.type === 'string') out.append(e.db, ['SET', e.key, v.value]);
    else if (v.type === 'list') batched('RPUSH', v.items, 1);
    else if (v.type === 'set') batched('SADD', v.members, 1);
    else if (v.type === 'hash') {
      batched('HMSET', v.pairs.flat(), 2);
      // Field TTLs as Redis 7.4's rewrite gives them: absolute HPEXPIREAT, fields sharing a time together.
      const byTime = new Map<number, Uint8Array[]>();
      v.ttls?.forEach((t, i) => {
        if (t !== 0) byTime.set(t, [...(byTime.get(t) ?? []), v.pairs[i][0]]);
      });
      for (const [t, fs] of byTime) out.append(e.db, ['HPEXPIREAT', e.key, String(t), 'FIELDS', String(fs.length), ...fs]);
    }
    else if (v.type === 'stream') for (const cmd of streamAsCommands(e.key, v.stream)) out.append(e.db, cmd);
    else batched('ZADD', v.entries.flatMap(([m, score]) => [formatDouble17g(score), m]), 2);
    if (e.expireAt !== -1) out.append(e.db, ['PEXPIREAT', e.key, String(e.expireAt)]);
  }
  return out.take();
}

const EVERYSEC_MS = 1000;

export class AofLog {
  private readonly merge: AofMerge;
  private readonly received: number[];
  private readonly out: AofBuffer;
  private fd: number;
  /** Bytes taken from the merge and not written yet (a failed write keeps them for the next try). */
  private unwritten: Uint8Array[] = [];
  private readonly dir: string;
  private timer: NodeJS.Timeout | null = null;
  private fsyncRunning = false;
  private incrBytes: number;
  private closed = false;
  /** The incr file a rewrite opened, until its instant comes through the merge (then appends go there). */
  private nextIncr: AofFile | null = null;

  constructor(
    private readonly state: AofState,
    private readonly settings: AofSettings,
    /** The manifest as it is on disk. */
    private manifest: AofManifest,
    private readonly log: Logger,
    /** Told when writes start or stop failing (clients' writes get MISCONF meanwhile), and when one fails with appendfsync always (Redis exits then). */
    private readonly events: { writeStatus(ok: boolean): void; fatal(why: string): void },
  ) {
    this.merge = new AofMerge(state.threads);
    // Batches sent while an earlier writer ran (before CONFIG SET appendonly no) were its own.
    this.received = Array.from({ length: state.threads }, (_, t) => state.sentCount(t));
    this.out = new AofBuffer({ timestamps: settings.timestamps });
    this.dir = path.join(settings.dir, settings.appenddirname);
    const last = manifest.incr[manifest.incr.length - 1];
    const file = path.join(this.dir, last.name);
    this.fd = fs.openSync(file, 'a');
    this.incrBytes = fs.fstatSync(this.fd).size;
    this.state.baseSize = manifest.base ? fs.statSync(path.join(this.dir, manifest.base.name)).size : 0;
    this.updateSize();
    this.state.rewriteBaseSize = this.state.currentSize;
    this.timer = setInterval(() => this.everySecond(), EVERYSEC_MS);
    this.timer.unref();
  }

  /** A thread's batch arrived. */
  onBatch(thread: number, records: Uint8Array): void {
    this.received[thread]++;
    this.merge.add(thread, records);
    this.pump();
  }

  /**
   * Writes what may be written: every record numbered below each thread's
   * low mark (and at most the counter), once every batch the threads have
   * sent is here.
   */
  private pump(final = false): void {
    if (this.closed) return;
    const st = this.state;
    let bound = Number(st.counter());
    if (!final) {
      for (let t = 0; t < st.threads; t++) {
        const low = st.low(t);
        if (st.sentCount(t) !== this.received[t]) return; // a batch is on its way: wait for it
        if (low !== 0n) bound = Math.min(bound, Number(low) - 1);
      }
    }
    const done = this.merge.drain(bound, this.out, Math.floor(Date.now() / 1000), this.rotate, final);
    if (this.out.pending > 0) this.unwritten.push(this.out.take());
    if (!this.write()) return;
    const mode = st.mode;
    if (mode === AofMode.Always) {
      try {
        fs.fdatasyncSync(this.fd);
      } catch (err) {
        this.failed(err as Error, 'fsync');
        return;
      }
    }
    st.publishSynced(BigInt(done));
  }

  /** Writes the pending bytes; false (and the write status set) when the disk refuses. */
  private write(): boolean {
    while (this.unwritten.length > 0) {
      const b = this.unwritten[0];
      let n: number;
      try {
        n = fs.writeSync(this.fd, b);
      } catch (err) {
        this.failed(err as Error, 'write');
        return false;
      }
      this.incrBytes += n;
      if (n < b.length) this.unwritten[0] = b.subarray(n);
      else this.unwritten.shift();
    }
    if (!this.state.lastWriteOk) {
      this.state.lastWriteOk = true;
      this.events.writeStatus(true);
      this.log.warn('AOF write error looks solved, Redis can write again.');
    }
    this.updateSize();
    return true;
  }

  private failed(err: Error, what: string): void {
    const st = this.state;
    st.setWriteError((err as NodeJS.ErrnoException).code);
    if (st.lastWriteOk) this.log.warn(`Error ${what === 'fsync' ? 'syncing' : 'writing to'} the AOF file: ${err.message}`);
    st.lastWriteOk = false;
    this.events.writeStatus(false);
    // Replies wait for the disk with appendfsync always: as Redis, the server cannot go on.
    if (st.mode === AofMode.Always) this.events.fatal(`Can't recover from AOF write error when the AOF fsync policy is 'always': ${err.message}. Exiting...`);
  }

  private everySecond(): void {
    // A failed write is tried again; everysec syncs in the background, never twice at once.
    if (this.unwritten.length > 0) this.pump();
    if (this.state.mode !== AofMode.Everysec) return;
    if (this.fsyncRunning) {
      this.state.addDelayedFsync();
      return;
    }
    this.fsyncRunning = true;
    const fd = this.fd;
    fs.fdatasync(fd, (err) => {
      this.fsyncRunning = false;
      // A rewrite may have synced and closed that file meanwhile: only the current file's failure counts.
      if (err && fd === this.fd && !this.closed) this.failed(err, 'fsync');
    });
  }

  private updateSize(): void {
    this.state.currentSize = this.state.baseSize + this.incrBytes;
  }

  /**
   * A rewrite starts: a new incr file joins the manifest (on disk before
   * the rewrite's instant), and the writes after that instant will go there.
   */
  startRewrite(): void {
    const next = nextManifestWithNewIncr(this.manifest, this.settings.appendfilename);
    writeFileSynced(path.join(this.dir, next.file.name), new Uint8Array(0));
    persistManifest(this.dir, this.settings.appendfilename, next.manifest);
    this.manifest = next.manifest;
    this.nextIncr = next.file;
    this.log.info(`Creating AOF incr file ${next.file.name} on background rewrite`);
  }

  /** The rewrite's base is written: once the writes before its instant are in the old incr file, it is installed. */
  async finishRewrite(temp: string): Promise<void> {
    for (let i = 0; this.nextIncr !== null; i++) {
      if (i >= 1000) throw new Error('the rewrite instant never reached the AOF writer');
      this.pump();
      await new Promise((r) => setTimeout(r, 10));
    }
    const { manifest, baseBytes } = installBase(this.settings, this.manifest, temp, true);
    this.manifest = manifest;
    this.state.baseSize = baseBytes;
    this.incrBytes = fs.fstatSync(this.fd).size;
    this.updateSize();
    this.state.rewriteBaseSize = this.state.currentSize;
  }

  /** The merge reached a rewrite's instant: what came before is in the old file; appends go to the new one. */
  private readonly rotate = (): void => {
    const next = this.nextIncr;
    if (next === null) return;
    if (this.out.pending > 0) this.unwritten.push(this.out.take());
    if (!this.write()) return;
    try {
      fs.fdatasyncSync(this.fd);
    } catch (err) {
      this.failed(err as Error, 'fsync');
    }
    fs.closeSync(this.fd);
    this.fd = fs.openSync(path.join(this.dir, next.name), 'a');
    this.incrBytes = 0;
    this.out.startNewFile();
    this.nextIncr = null;
  };

  /** Whether every batch the threads sent is here and none holds records (turning the AOF off waits for it). */
  idle(): boolean {
    const st = this.state;
    for (let t = 0; t < st.threads; t++) if (st.low(t) !== 0n || st.sentCount(t) !== this.received[t]) return false;
    return true;
  }

  /** The threads have stopped: writes what they sent, syncs and closes the file. */
  close(): void {
    if (this.closed) return;
    this.pump(true);
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    try {
      fs.fsyncSync(this.fd);
    } catch {
      /* reported by the writes */
    }
    fs.closeSync(this.fd);
  }
}

