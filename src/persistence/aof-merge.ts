/**
 * The writer's merge of the threads' AOF batches (aof-feed.ts) into one
 * command stream.
 *
 * Records are written in the order of their numbers, which is an order
 * consistent with how the commands ran: two writes to one key run on one
 * shard, one after the other, and took their numbers in that order. A
 * transaction's records (a MULTI/EXEC, a command across shards) go
 * together, wrapped in MULTI … EXEC when there are several, at the place of
 * its first record: a write of another client that came between two of
 * them touched other keys (the transaction held its keys' locks), and one
 * that touched its keys came after its last record on that shard. So the
 * writer waits at a transaction's first record until every shard it held
 * has reported its end (the UNLOCK records, each naming how many shards
 * the transaction held).
 */
import { AofBuffer, encodeCommand } from './aof-writer.js';
import { RECORD_HEADER, RecordKind } from './aof-feed.js';

interface Rec {
  seq: number;
  txid: number;
  db: number;
  kind: RecordKind;
  bytes: Uint8Array;
  done: boolean;
}

interface Group {
  records: Rec[];
  unlocks: number;
  parts: number;
}

const EMPTY = new Uint8Array(0);
const MULTI = encodeCommand(['MULTI']);
const EXEC = encodeCommand(['EXEC']);

export class AofMerge {
  private readonly queues: Rec[][];
  private readonly heads: number[];
  private readonly groups = new Map<number, Group>();

  constructor(threads: number) {
    this.queues = Array.from({ length: threads }, () => []);
    this.heads = new Array<number>(threads).fill(0);
  }

  /** Takes a thread's batch (records in the order it made them). */
  add(thread: number, records: Uint8Array): void {
    const v = new DataView(records.buffer, records.byteOffset, records.byteLength);
    const q = this.queues[thread];
    for (let p = 0; p < records.length; ) {
      const seq = v.getFloat64(p, true);
      const txid = v.getInt32(p + 8, true);
      const db = v.getInt32(p + 12, true);
      const kind = v.getInt32(p + 16, true) as RecordKind;
      const n = v.getInt32(p + 20, true);
      if (kind === RecordKind.Rotate) {
        q.push({ seq, txid: 0, db: -1, kind, bytes: EMPTY, done: false });
        p += RECORD_HEADER;
        continue;
      }
      if (kind === RecordKind.Unlock) {
        const g = this.group(txid);
        g.unlocks++;
        g.parts = n;
        // A transaction that wrote nothing leaves nothing to wait for.
        if (g.unlocks >= g.parts && g.records.length === 0) this.groups.delete(txid);
        p += RECORD_HEADER;
        continue;
      }
      const r: Rec = { seq, txid, db, kind, bytes: records.subarray(p + RECORD_HEADER, p + RECORD_HEADER + n), done: false };
      q.push(r);
      if (txid !== 0) this.group(txid).records.push(r);
      p += RECORD_HEADER + n;
    }
  }

  /** Records received and not written yet. */
  get waiting(): number {
    let n = 0;
    for (let t = 0; t < this.queues.length; t++) n += this.queues[t].length - this.heads[t];
    return n;
  }

  /**
   * Writes to `out`, in order, every record numbered up to `bound` (no
   * thread can still send one below it), and returns the number up to
   * which everything is written: `bound`, or less when a transaction's
   * first record is there and its last shard has not reported yet.
   * `final` (the threads have stopped): a transaction whose shards did not
   * all report its end is written as it is — it ran, was answered, and no
   * record of it can come any more (an UNLOCK still in a ring is not a write).
   */
  drain(bound: number, out: AofBuffer, unixSeconds: number, onRotate: () => void, final = false): number {
    for (;;) {
      let best = -1;
      let bestSeq = Infinity;
      for (let t = 0; t < this.queues.length; t++) {
        const q = this.queues[t];
        let h = this.heads[t];
        while (h < q.length && q[h].done) h++;
        this.heads[t] = h;
        if (h < q.length && q[h].seq < bestSeq) {
          bestSeq = q[h].seq;
          best = t;
        }
      }
      if (best < 0 || bestSeq > bound) {
        this.compact();
        return bound;
      }
      const r = this.queues[best][this.heads[best]];
      if (r.kind === RecordKind.Rotate) {
        r.done = true;
        onRotate();
        continue;
      }
      const g = r.txid === 0 ? undefined : this.groups.get(r.txid);
      if (g === undefined) {
        r.done = true;
        out.appendEncoded(r.db, r.bytes, unixSeconds);
        continue;
      }
      if (!final && (g.parts === 0 || g.unlocks < g.parts)) {
        this.compact();
        return r.seq - 1;
      }
      this.groups.delete(r.txid);
      const rs = g.records.sort((a, b) => a.seq - b.seq);
      if (rs.length > 1) out.appendEncoded(rs[0].db, MULTI, unixSeconds);
      for (const x of rs) {
        x.done = true;
        out.appendEncoded(x.db, x.bytes, unixSeconds);
      }
      if (rs.length > 1) out.appendEncoded(-1, EXEC, unixSeconds);
    }
  }

  private group(txid: number): Group {
    let g = this.groups.get(txid);
    if (g === undefined) this.groups.set(txid, (g = { records: [], unlocks: 0, parts: 0 }));
    return g;
  }

  /** Drops written records from the queues' fronts. */
  private compact(): void {
    for (let t = 0; t < this.queues.length; t++) {
      const h = this.heads[t];
      if (h > 1024 || (h > 0 && h === this.queues[t].length)) {
        this.queues[t].splice(0, h);
        this.heads[t] = 0;
      }
    }
  }
}
