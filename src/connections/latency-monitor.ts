/**
 * The latency monitor (latency-monitor-threshold): each thread keeps, per
 * event ("command" and "fast-command": a command that took at least the
 * threshold, in ms), one sample per second — the worst of that second —
 * for the last 160 seconds that had one, and the worst ever, as Redis
 * does. LATENCY merges every thread's samples.
 */
const SAMPLES = 160;

export interface EventSeries {
  /** [unix seconds, ms], oldest first. */
  samples: [number, number][];
  max: number;
}

export class LatencyMonitor {
  private readonly events = new Map<string, EventSeries>();

  add(event: string, ms: number): void {
    const now = Math.floor(Date.now() / 1000);
    let e = this.events.get(event);
    if (e === undefined) this.events.set(event, (e = { samples: [], max: 0 }));
    const last = e.samples[e.samples.length - 1];
    if (last !== undefined && last[0] === now) last[1] = Math.max(last[1], ms);
    else {
      e.samples.push([now, ms]);
      if (e.samples.length > SAMPLES) e.samples.shift();
    }
    e.max = Math.max(e.max, ms);
  }

  snapshot(): Record<string, EventSeries> {
    return Object.fromEntries(this.events);
  }

  /** Forgets some events (all when none named); returns how many it had. */
  reset(names: string[]): number {
    if (names.length === 0) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    let n = 0;
    for (const name of names) if (this.events.delete(name)) n++;
    return n;
  }
}

/** Every thread's series of each event, merged: per second the worst sample, and the worst ever. */
export function mergeSeries(perThread: Record<string, EventSeries>[]): Map<string, EventSeries> {
  const out = new Map<string, EventSeries>();
  for (const t of perThread) {
    for (const [name, s] of Object.entries(t)) {
      const m = out.get(name) ?? { samples: [], max: 0 };
      const bySecond = new Map(m.samples);
      for (const [sec, ms] of s.samples) bySecond.set(sec, Math.max(bySecond.get(sec) ?? 0, ms));
      m.samples = [...bySecond].sort((a, b) => a[0] - b[0]).slice(-SAMPLES);
      m.max = Math.max(m.max, s.max);
      out.set(name, m);
    }
  }
  return out;
}
