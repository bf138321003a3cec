/**
 * The eviction candidate pool (src/shard/eviction.ts) on a Keyspace built
 * directly: the best-scored key is picked, and a pooled candidate that went
 * away between rounds (deleted, its block reused by a younger key, or made
 * persistent under a volatile policy) is never picked for it.
 */
import '../../src/types/types.js';
import { describe, expect, it } from 'vitest';
import { Arena } from 'native-free-arena';
import { Enc, Keyspace, ObjType } from '../../src/shard/keyspace.js';
import { Evictor, type EvictionSettings, Policy } from '../../src/shard/eviction.js';
import { setString } from '../../src/types/string.js';

const settings = (policy: Policy): EvictionSettings => ({ maxmemory: 1, policy, samples: 64, tenacity: 10, lfuLogFactor: 10, lfuDecayTime: 1 });
const NOW_S = 100_000;

function keyspaceWith(n: number, ttl: boolean, valueSize = 8): { ks: Keyspace; handles: Map<string, number> } {
  const ks = new Keyspace(new Arena());
  const handles = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const k = Buffer.from(`key:${i}`);
    const v = Buffer.from(`value ${i}`.padEnd(valueSize, '.'));
    // Key i was last used i seconds ago (LRU), or expires in i seconds (TTL).
    let h = setString(ks, 0, k, 0, k.length, 0, v, 0, v.length, Enc.Embstr, false, NOW_S - i);
    if (ttl) h = ks.setExpire(0, h, NOW_S * 1000 + (n - i) * 1000);
    handles.set(`key:${i}`, h);
  }
  return { ks, handles };
}

const keyOf = (ks: Keyspace, h: number): string => Buffer.from(ks.keyBytes(h)).toString();

describe('eviction pool', () => {
  it('picks keys oldest first under allkeys-lru, each once', () => {
    const { ks } = keyspaceWith(40, false);
    const ev = new Evictor(ks);
    const picked: string[] = [];
    for (let i = 0; i < 5; i++) {
      const c = ev.next(settings(Policy.AllkeysLru), NOW_S * 1000, NOW_S)!;
      picked.push(keyOf(ks, c.h));
      ks.removeEntry(c.db, c.h);
    }
    expect(picked).toEqual(['key:39', 'key:38', 'key:37', 'key:36', 'key:35']);
  });

  it('never picks a pooled key that was deleted, even when a younger key took its block', () => {
    const { ks, handles } = keyspaceWith(40, false, 8);
    const ev = new Evictor(ks);
    const first = ev.next(settings(Policy.AllkeysLru), NOW_S * 1000, NOW_S)!;
    expect(keyOf(ks, first.h)).toBe('key:39');
    ks.removeEntry(first.db, first.h);
    // key:38, next in the pool, is deleted and its block goes to a key used just now.
    const stale = handles.get('key:38')!;
    expect(ks.delete(0, Buffer.from('key:38'), 0, 6, 0)).toBe(true);
    const fresh = Buffer.from('fresh:0');
    const v = Buffer.from('value 38');
    const reused = setString(ks, 0, fresh, 0, fresh.length, 0, v, 0, v.length, Enc.Embstr, false, NOW_S);
    expect(reused).toBe(stale); // the arena hands the same block out again
    const next = ev.next(settings(Policy.AllkeysLru), NOW_S * 1000, NOW_S)!;
    expect(keyOf(ks, next.h)).toBe('key:37');
  });

  it('under volatile-ttl, a pooled key that lost its TTL is not picked', () => {
    // 112-byte values: with or without the expire-at, the entry stays in the 144-byte class, so
    // losing the TTL leaves it where it was and only the policy check can turn it down.
    const { ks, handles } = keyspaceWith(40, true, 112);
    const ev = new Evictor(ks);
    const first = ev.next(settings(Policy.VolatileTtl), NOW_S * 1000, NOW_S)!;
    // The soonest to expire: key:39 (1 s left).
    expect(keyOf(ks, first.h)).toBe('key:39');
    ks.removeEntry(first.db, first.h);
    // key:38 is made persistent: its header shrinks (it may move), it is no volatile candidate any more.
    const persisted = ks.setExpire(0, handles.get('key:38')!, 0);
    expect(persisted).toBe(handles.get('key:38'));
    expect(ks.type(persisted)).toBe(ObjType.String);
    const next = ev.next(settings(Policy.VolatileTtl), NOW_S * 1000, NOW_S)!;
    expect(keyOf(ks, next.h)).toBe('key:37');
  });
});
