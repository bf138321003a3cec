/**
 * maxmemory-clients: when the clients of every thread together hold more
 * than the limit, the ones holding the most are disconnected until the
 * total is below it, as Redis 7 evicts clients (largest buckets first).
 * CLIENT NO-EVICT clients count toward the total but are never taken.
 *
 * Each thread notes what its clients hold after their turn (input read,
 * output written) and publishes its total and its largest evictable client
 * in the memory gauge. A thread evicts only its own clients, and only while
 * none larger is on another thread: that thread evicts its own at its next
 * check (a turn or its cron), so clients go largest first across threads.
 */
import type { MemoryGauge } from '../transport/memory-gauge.js';
import { clientMemory } from './client-memory.js';
import type { Connection } from './connection.js';

/** The limit in bytes for a maxmemory-clients setting (bytes, or `N%` of maxmemory); 0 is off. */
export function clientEvictionLimit(setting: string, maxmemory: number): number {
  if (setting.endsWith('%')) return Math.floor((maxmemory * Number(setting.slice(0, -1))) / 100);
  return Number(setting);
}

function evictable(c: Connection): boolean {
  return !c.noEvict && !c.closed && !c.closeAfterWrite && !c.loader;
}

export class ClientEviction {
  /** maxmemory-clients in bytes; 0 when off (nothing is noted then). */
  limit = 0;
  /** What this thread's clients hold, as last noted. */
  private held = 0;
  /** The largest evictable client noted since the last recount. */
  private largest = 0;

  constructor(
    private readonly gauge: MemoryGauge,
    private readonly thread: number,
  ) {}

  get on(): boolean {
    return this.limit > 0;
  }

  configure(setting: string, maxmemory: number, conns: Connection[]): void {
    this.limit = clientEvictionLimit(setting, maxmemory);
    this.recount(conns);
  }

  /** After a client's turn: what it holds now. */
  note(c: Connection): void {
    const m = clientMemory(c);
    this.held += m - c.memoryNoted;
    c.memoryNoted = m;
    if (m > this.largest && evictable(c)) this.largest = m;
  }

  /** A client is gone. */
  forget(c: Connection): void {
    this.held -= c.memoryNoted;
    c.memoryNoted = 0;
  }

  /** Counts every client again (the cron, a new setting) and publishes the figures. */
  recount(conns: Connection[]): void {
    this.held = 0;
    this.largest = 0;
    for (const c of conns) {
      c.memoryNoted = this.on ? clientMemory(c) : 0;
      this.held += c.memoryNoted;
      if (c.memoryNoted > this.largest && evictable(c)) this.largest = c.memoryNoted;
    }
    this.publish();
  }

  publish(): void {
    this.gauge.setClients(this.thread, this.held, this.largest);
  }

  /** Every thread's clients together hold at least the limit. */
  over(): boolean {
    return this.on && this.held + this.gauge.clientsElsewhere(this.thread).bytes >= this.limit;
  }

  /**
   * Disconnects this thread's clients, largest first, while the total is at
   * least the limit and no larger evictable client is on another thread.
   * `kill` closes one (and forgets it). Returns how many were taken.
   */
  evict(conns: Connection[], kill: (c: Connection) => void): number {
    for (const c of conns) this.note(c);
    const elsewhere = this.gauge.clientsElsewhere(this.thread);
    const candidates = conns.filter(evictable).sort((a, b) => b.memoryNoted - a.memoryNoted);
    let total = this.held + elsewhere.bytes;
    let taken = 0;
    for (const c of candidates) {
      if (total < this.limit || c.memoryNoted < elsewhere.largest) break;
      total -= c.memoryNoted;
      kill(c);
      taken++;
    }
    this.largest = 0;
    for (const c of candidates) if (evictable(c) && c.memoryNoted > this.largest) this.largest = c.memoryNoted;
    this.publish();
    return taken;
  }
}
