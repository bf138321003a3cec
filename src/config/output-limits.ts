/**
 * client-output-buffer-limit: per client class (normal, replica, pubsub) a
 * hard limit, a soft limit and how long a client may stay over the soft one
 * before it is disconnected. CONFIG SET may name some classes only; CONFIG
 * GET shows all three in bytes, as Redis does.
 */
import { parseMemory } from './memory-units.js';

export type ClientClass = 'normal' | 'replica' | 'pubsub';
const CLASSES: ClientClass[] = ['normal', 'replica', 'pubsub'];

export interface OutputLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

export const OUTPUT_LIMITS_DEFAULT = 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60';

function parse(value: string): Map<ClientClass, OutputLimit> | string {
  const words = value.split(/\s+/).filter((w) => w !== '');
  if (words.length % 4 !== 0) return 'Wrong number of arguments in buffer limit configuration.';
  const out = new Map<ClientClass, OutputLimit>();
  for (let i = 0; i < words.length; i += 4) {
    const name = words[i].toLowerCase();
    const cls: ClientClass | undefined = name === 'slave' || name === 'replica' ? 'replica' : name === 'normal' || name === 'pubsub' ? name : undefined;
    if (cls === undefined) return 'Invalid client class specified in buffer limit configuration.';
    const hard = parseMemory(words[i + 1]);
    const soft = parseMemory(words[i + 2]);
    const softSeconds = /^\d+$/.test(words[i + 3]) ? Number(words[i + 3]) : -1;
    if (hard === null || soft === null || hard < 0 || soft < 0 || softSeconds < 0) return 'Error in hard, soft or soft_seconds setting in buffer limit configuration.';
    out.set(cls, { hard, soft, softSeconds });
  }
  return out;
}

function format(limits: Map<ClientClass, OutputLimit>): string {
  return CLASSES.map((c) => {
    const l = limits.get(c)!;
    return `${c === 'replica' ? 'slave' : c} ${l.hard} ${l.soft} ${l.softSeconds}`;
  }).join(' ');
}

/** The classes named in `value` replace those of `previous`: the full setting, or Redis's error text. */
export function mergeOutputLimits(value: string, previous: string): { value: string } | { error: string } {
  const next = parse(value);
  if (typeof next === 'string') return { error: next };
  const all = parse(previous) as Map<ClientClass, OutputLimit>;
  for (const [c, l] of next) all.set(c, l);
  return { value: format(all) };
}

let lastSetting = '';
let lastParsed: Map<ClientClass, OutputLimit> | null = null;

/** One class's limits from the setting (parsed once per value: this runs for every message a subscriber gets). */
export function outputLimit(setting: string, cls: ClientClass): OutputLimit {
  if (setting !== lastSetting || lastParsed === null) {
    const all = parse(setting);
    lastParsed = typeof all === 'string' ? null : all;
    lastSetting = setting;
  }
  return lastParsed?.get(cls) ?? { hard: 0, soft: 0, softSeconds: 0 };
}
