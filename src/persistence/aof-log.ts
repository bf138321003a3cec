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
import { type AofManifest, baseName, formatManifest, incrName, manifestName, parseManifest } from './aof-manifest.js';
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

  constructor(
    private readonly state: AofState,
    private readonly settings: AofSettings,
    private manifest: AofManifest,
    private readonly log: Logger,
  ) {
    this.merge = new AofMerge(state.threads);
    this.received = new Array<number>(state.threads).fill(0);
    this.out = new AofBuffer({ timestamps: settings.timestamps });
    this.dir = path.join(settings.dir, settings.appenddirname);
    const last = manifest.incr[manifest.incr.length - 1];
    const file = path.join(this.dir, last.name);
    this.fd = fs.openSync(file, 'a');
    this.incrBytes = fs.fstatSync(this.fd).size;
    this.state.baseSize = manifest.base ? fs.statSync(path.join(this.dir, manifest.base.name)).size : 0;
    this.updateSize();
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
    const done = this.merge.drain(bound, this.out, Math.floor(Date.now() / 1000));
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
      this.log.warn('AOF write error looks solved, Redis can write again.');
    }
    this.updateSize();
    return true;
  }

  private failed(err: Error, what: string): void {
    if (this.state.lastWriteOk) this.log.warn(`Error ${what === 'fsync' ? 'syncing' : 'writing to'} the AOF file: ${err.message}`);
    this.state.lastWriteOk = false;
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
    fs.fdatasync(this.fd, (err) => {
      this.fsyncRunning = false;
      if (err) this.failed(err, 'fsync');
    });
  }

  private updateSize(): void {
    this.state.currentSize = this.state.baseSize + this.incrBytes;
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

