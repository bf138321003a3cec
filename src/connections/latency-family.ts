/**
 * LATENCY, run on the connection's thread: HISTOGRAM from every thread's
 * command latency histograms (util/latency-histogram.ts), LATEST, HISTORY,
 * RESET, GRAPH and DOCTOR from every thread's latency monitor
 * (connections/latency-monitor.ts), merged.
 */
import { askThreads } from './clients-view.js';
import type { FrontCall, FrontHandler } from './front-call.js';
import { type ThreadReport, mergedLatency } from './info.js';
import { type EventSeries, mergeSeries } from './latency-monitor.js';
import { cumulativeBuckets, total } from '../util/latency-histogram.js';

function histogram(f: FrontCall): void {
  const wanted = new Set<string>();
  for (let i = 2; i < f.argc; i++) wanted.add(f.arg(i).toLowerCase());
  f.later(askThreads<ThreadReport>(f.thread, 'info', {}), (w, reports) => {
    const all = [...mergedLatency(reports)].filter(([name]) => wanted.size === 0 || wanted.has(name)).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    w.map(all.length);
    for (const [name, h] of all) {
      w.bulkString(name);
      w.map(2);
      w.bulkString('calls');
      w.int(total(h));
      w.bulkString('histogram_usec');
      const buckets = cumulativeBuckets(h);
      w.map(buckets.length);
      for (const [usec, count] of buckets) {
        w.int(usec);
        w.int(count);
      }
    }
  });
}

/** Every thread's latency events, merged. */
function events(f: FrontCall): Promise<Map<string, EventSeries>> {
  return askThreads<Record<string, EventSeries>>(f.thread, 'latency-get', {}).then(mergeSeries);
}

function latest(f: FrontCall): void {
  f.later(events(f), (w, all) => {
    w.array(all.size);
    for (const [name, s] of all) {
      const [sec, ms] = s.samples[s.samples.length - 1];
      w.array(4);
      w.bulkString(name);
      w.int(sec);
      w.int(ms);
      w.int(s.max);
    }
  });
}

function history(f: FrontCall): void {
  const name = f.arg(2);
  f.later(events(f), (w, all) => {
    const s = all.get(name);
    const samples = s?.samples ?? [];
    w.array(samples.length);
    for (const [sec, ms] of samples) {
      w.array(2);
      w.int(sec);
      w.int(ms);
    }
  });
}

function reset(f: FrontCall): void {
  const names: string[] = [];
  for (let i = 2; i < f.argc; i++) names.push(f.arg(i));
  f.later(
    Promise.all([events(f), askThreads<number>(f.thread, 'latency-reset', { events: names })]),
    // Events the threads had between them, counted once each.
    (w, [before]) => w.int(names.length === 0 ? before.size : names.filter((n) => before.has(n)).length),
  );
}

/** Seconds ago, as Redis labels a graph's samples. */
function ago(sec: number): string {
  const e = Math.floor(Date.now() / 1000) - sec;
  if (e < 60) return `${e}s`;
  if (e < 3600) return `${Math.floor(e / 60)}m`;
  if (e < 86400) return `${Math.floor(e / 3600)}h`;
  return `${Math.floor(e / 86400)}d`;
}

function graph(f: FrontCall): void {
  const name = f.arg(2);
  f.later(events(f), (w, all) => {
    const s = all.get(name);
    if (s === undefined) return w.error(`ERR No samples available for event '${name}'`);
    const values = s.samples.map(([, ms]) => ms);
    const hi = Math.max(...values);
    const lo = Math.min(...values);
    // A column per sample, as high as its latency among 4 rows, labelled with its age.
    const rows: string[] = [];
    for (let r = 4; r >= 1; r--) rows.push(values.map((v) => (hi === lo || (v - lo) / (hi - lo) >= (r - 1) / 4 ? (r === 1 ? '_' : '#') : ' ')).join(''));
    const labels = s.samples.map(([sec]) => ago(sec));
    const height = Math.max(...labels.map((l) => l.length));
    for (let i = 0; i < height; i++) rows.push(labels.map((l) => l[i] ?? ' ').join(''));
    w.verbatim(`${name} - high ${hi} ms, low ${lo} ms (all time high ${s.max} ms)\n${'-'.repeat(80)}\n${rows.join('\n')}\n`);
  });
}

function doctor(f: FrontCall): void {
  f.later(events(f), (w, all) => {
    const threshold = f.thread.config.int('latency-monitor-threshold');
    const lines: string[] = [];
    if (all.size === 0) {
      lines.push('Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep better tonight.');
    } else {
      lines.push('Dave, I have observed latency spikes in this Redis instance. You don\'t mind talking about it, do you Dave?', '');
      let i = 1;
      for (const [name, s] of all) {
        const avg = Math.round(s.samples.reduce((a, [, ms]) => a + ms, 0) / s.samples.length);
        lines.push(`${i++}. ${name}: ${s.samples.length} latency spikes (average ${avg}ms, mean deviation 0ms, period 0 sec). Worst all time event ${s.max}ms.`);
      }
      lines.push('', 'I have a few advices for you:', '');
      lines.push(`- Check your commands: SLOWLOG GET shows the slowest, and commands that took ${threshold} ms or more are the ones above.`);
    }
    w.verbatim(`${lines.join('\n')}\n`);
  });
}

const LATENCY_HELP = [
  'LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return a human readable latency analysis report.',
  'GRAPH <event>',
  '    Return an ASCII latency graph for the <event> class.',
  'HISTORY <event>',
  '    Return time-latency samples for the <event> class.',
  'LATEST',
  '    Return the latest latency samples for all events.',
  'RESET [<event> ...]',
  '    Reset latency data of one or more <event> classes.',
  '    (default: reset all data for all event classes)',
  'HISTOGRAM [COMMAND ...]',
  '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
  '    If no commands are specified then all histograms are replied.',
  'HELP',
  '    Prints this help.',
];

export const latencyFrontHandlers: Record<string, FrontHandler> = {
  'latency|histogram': histogram,
  'latency|latest': latest,
  'latency|history': history,
  'latency|reset': reset,
  'latency|graph': graph,
  'latency|doctor': doctor,
  'latency|help': (f) => {
    f.w.array(LATENCY_HELP.length);
    for (const line of LATENCY_HELP) f.w.simple(line);
  },
};
