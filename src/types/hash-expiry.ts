/**
 * Reclaiming the hash fields whose time has come: lazily, by the hash
 * commands (commands/hash-access.ts), and actively, by the shard's cron
 * (Shard.activeExpire), over the entries the keyspace indexes as having
 * field TTLs (Database.fieldExpiring).
 */
import type { Keyspace } from '../shard/keyspace.js';
import { ObjType } from '../shard/object.js';
import type { EffectLog } from '../shard/exec.js';
import { Notify } from '../util/keyspace-events.js';
import { hashDelete, hashLength } from './hash.js';
import { ttlsOf } from './hash-ttl.js';

/** Where expired fields' events go: (class, event, key). */
export type FieldEventSink = (cls: number, event: string, key: Uint8Array) => void;

/**
 * Deletes at most `max` fields of hash entry h (of db) whose time is at or
 * before `now`, earliest first (Redis's lazy and active field expiry): the
 * AOF records them as HDEL, subscribers hear `hexpired`, then `del` when the
 * hash emptied and its key was removed. Returns the number of fields
 * deleted, negated (-n) when the key went with them.
 */
export function reclaimFields(ks: Keyspace, db: number, h: number, now: number, max: number, log: EffectLog | null, txid: number, notify: FieldEventSink | null): number {
  const a = ks.arena;
  const v0 = ks.valueWord(h);
  const t = ttlsOf(a, v0);
  if (t === undefined) return 0;
  if (t.min() > now) return 0;
  const due = t.takeDue(now, max);
  ks.changing(db, h);
  const key = ks.keyBytes(h);
  const saved = ks.currentDb;
  ks.currentDb = db;
  let v = v0;
  const hdel: (Uint8Array | string)[] = ['HDEL', key];
  for (const f of due) {
    const fb = Buffer.from(f, 'latin1');
    v = hashDelete(a, v, fb, 0, fb.length);
    hdel.push(fb);
  }
  ks.expiredFields += due.length;
  const empty = hashLength(a, v) === 0;
  if (v !== v0) ks.setValueWord(h, v);
  log?.rewritten(db, txid, [hdel]);
  if (notify !== null) notify(Notify.Hash, 'hexpired', key);
  if (empty) {
    if (notify !== null) notify(Notify.Generic, 'del', key);
    ks.removeEntry(db, h);
  } else ks.modified(h);
  ks.currentDb = saved;
  return empty ? -due.length : due.length;
}

/**
 * One step of active field expiry over database `db` (Redis's
 * hashTypeDbActiveExpire): visits the hashes with field TTLs, reclaims at
 * most `budget` due fields in all, and forgets the entries left with no
 * TTL. Returns the number of fields reclaimed.
 */
export function expireFieldsStep(ks: Keyspace, db: number, now: number, budget: number, log: EffectLog | null, notify: FieldEventSink | null): number {
  const set = ks.dbs[db].fieldExpiring;
  if (set.size === 0 || ks.expireSuspended) return 0;
  let done = 0;
  // Round robin in bounded steps: a visited entry goes to the back of the set.
  const visits = Math.min(set.size, MAX_VISITS);
  const it = set.values();
  const seen: number[] = [];
  for (let k = 0; k < visits; k++) {
    const next = it.next();
    if (next.done === true) break;
    seen.push(next.value);
  }
  for (const h of seen) {
    if (!set.has(h)) continue;
    set.delete(h);
    if (ks.type(h) !== ObjType.Hash) continue;
    const t = ttlsOf(ks.arena, ks.valueWord(h));
    if (t === undefined || t.size === 0) continue;
    // A key whose own time has passed is the key expiry's to reclaim, whole.
    const keyAt = ks.expireAt(h);
    if (done < budget && t.min() <= now && (keyAt === 0 || keyAt > now)) {
      const n = reclaimFields(ks, db, h, now, budget - done, log, 0, notify);
      done += Math.abs(n);
      if (n < 0) continue; // the key went
    }
    if (t.size !== 0) set.add(h);
  }
  return done;
}

/** Hashes with field TTLs one step looks at, at most. */
const MAX_VISITS = 2048;
