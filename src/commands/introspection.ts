/**
 * The replies of the COMMAND family (COMMAND, COMMAND INFO / DOCS / LIST /
 * COUNT / GETKEYS), built from the catalog as RespValue trees shaped like
 * Redis 7.0's: flags, ACL categories and doc flags are sets of simple
 * strings, tips a set of bulk strings, key specs a set of maps, so the same
 * tree encodes correctly for RESP2 (sets and maps flattened to arrays) and
 * RESP3.
 */
import { CATALOG, docExtras, findCommand, findSubcommand } from './catalog.js';
import type { CommandMeta, KeySpec } from './catalog/meta.js';
import { RespError, RespMap, RespSet, Simple, type RespValue } from '../protocol/resp-value.js';

// ------------------------------------------------------------- lookups --

function argText(arg: Uint8Array): string {
  return Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength).toString('latin1');
}

/**
 * The command a request line runs, the way Redis resolves it: the top-level
 * command named by args[0]; for a container with at least one more argument,
 * its subcommand named by args[1] (undefined if there is no such subcommand).
 */
export function lookupCommandFromArgs(args: Uint8Array[]): CommandMeta | undefined {
  if (args.length === 0) return undefined;
  const base = findCommand(argText(args[0]!));
  if (!base || !base.subcommands || args.length === 1) return base;
  return findSubcommand(base, argText(args[1]!));
}

/**
 * A command named as COMMAND INFO / DOCS accept it: "get", or "container|sub"
 * for a subcommand (any case). Returns the entry and its lower-case full name.
 */
export function lookupCommandByFullName(name: string): { meta: CommandMeta; fullName: string } | undefined {
  const parts = name.toLowerCase().split('|');
  if (parts.length > 2) return undefined;
  const base = findCommand(parts[0]!);
  if (!base) return undefined;
  if (parts.length === 1) return { meta: base, fullName: base.name };
  if (!base.subcommands) return undefined;
  const sub = findSubcommand(base, parts[1]!);
  return sub ? { meta: sub, fullName: `${base.name}|${sub.name}` } : undefined;
}

// -------------------------------------------------------- COMMAND INFO --

function keySpecValue(spec: KeySpec): RespValue {
  const entries: Array<[RespValue, RespValue]> = [];
  if (spec.notes !== undefined) entries.push(['notes', spec.notes]);
  entries.push(['flags', new RespSet(spec.flags.map((f) => new Simple(f)))]);

  const bs = spec.beginSearch;
  let bsSpec: RespMap;
  if (bs.type === 'index') bsSpec = new RespMap([['index', bs.index]]);
  else if (bs.type === 'keyword') bsSpec = new RespMap([['keyword', bs.keyword], ['startfrom', bs.startFrom]]);
  else bsSpec = new RespMap([]);
  entries.push(['begin_search', new RespMap([['type', bs.type], ['spec', bsSpec]])]);

  const fk = spec.findKeys;
  let fkSpec: RespMap;
  if (fk.type === 'range') {
    fkSpec = new RespMap([['lastkey', fk.lastKey], ['keystep', fk.step], ['limit', fk.limit]]);
  } else if (fk.type === 'keynum') {
    fkSpec = new RespMap([['keynumidx', fk.keyNumIdx], ['firstkey', fk.firstKey], ['keystep', fk.step]]);
  } else {
    fkSpec = new RespMap([]);
  }
  entries.push(['find_keys', new RespMap([['type', fk.type], ['spec', fkSpec]])]);
  return new RespMap(entries);
}

/**
 * One command's entry in COMMAND / COMMAND INFO: [name, arity, flags,
 * first key, last key, step, ACL categories, tips, key specs, subcommands].
 * `fullName` defaults to meta.name; pass "container|sub" for a subcommand
 * described on its own. A container's subcommands are described inside it
 * (named "container|sub"); a plain command has an empty set there.
 */
export function commandInfoEntry(meta: CommandMeta, fullName: string = meta.name): RespValue {
  return [
    fullName,
    meta.arity,
    new RespSet(meta.flags.map((f) => new Simple(f))),
    meta.firstKey,
    meta.lastKey,
    meta.step,
    new RespSet(meta.acl.map((c) => new Simple(`@${c}`))),
    new RespSet(meta.tips.slice()),
    new RespSet(meta.keySpecs.map(keySpecValue)),
    meta.subcommands
      ? meta.subcommands.map((sub) => commandInfoEntry(sub, `${fullName}|${sub.name}`))
      : new RespSet([]),
  ];
}

/**
 * The whole reply of COMMAND INFO name... (and, with no names, of COMMAND /
 * COMMAND INFO): one entry per name, null for an unknown one.
 */
export function commandInfoReply(names: readonly string[] = []): RespValue {
  if (names.length === 0) return CATALOG.map((meta) => commandInfoEntry(meta));
  return names.map((name) => {
    const found = lookupCommandByFullName(name);
    return found ? commandInfoEntry(found.meta, found.fullName) : null;
  });
}

// -------------------------------------------------------- COMMAND DOCS --

/**
 * One command's documentation map in COMMAND DOCS: summary, since, group,
 * complexity, then doc_flags / deprecated_since / replaced_by / history when
 * the command has them, and subcommands (a map "container|sub" → docs) for a
 * container. Redis also sends "arguments" (the argument tree); Shoal leaves it
 * out, which clients treat as "no argument information".
 */
export function commandDocsEntry(meta: CommandMeta, fullName: string = meta.name): RespValue {
  const entries: Array<[RespValue, RespValue]> = [
    ['summary', meta.summary],
    ['since', meta.since],
    ['group', meta.group],
  ];
  // A command without a complexity (MONITOR) has none in Redis's docs either.
  if (meta.complexity !== '') entries.push(['complexity', meta.complexity]);
  const x = docExtras(meta);
  if (x?.docFlags) entries.push(['doc_flags', new RespSet(x.docFlags.map((f) => new Simple(f)))]);
  if (x?.deprecatedSince) entries.push(['deprecated_since', x.deprecatedSince]);
  if (x?.replacedBy) entries.push(['replaced_by', x.replacedBy]);
  if (x?.history) entries.push(['history', new RespSet(x.history.map(([version, change]) => [version, change]))]);
  if (meta.subcommands) {
    entries.push([
      'subcommands',
      new RespMap(
        meta.subcommands.map((sub): [RespValue, RespValue] => {
          const subName = `${fullName}|${sub.name}`;
          return [subName, commandDocsEntry(sub, subName)];
        }),
      ),
    ]);
  }
  return new RespMap(entries);
}

/**
 * The whole reply of COMMAND DOCS [name...]: a map from command name to its
 * docs; unknown names are left out; with no names, every command.
 */
export function commandDocsReply(names: readonly string[] = []): RespValue {
  if (names.length === 0) {
    return new RespMap(CATALOG.map((meta): [RespValue, RespValue] => [meta.name, commandDocsEntry(meta)]));
  }
  const entries: Array<[RespValue, RespValue]> = [];
  for (const name of names) {
    const found = lookupCommandByFullName(name);
    if (found) entries.push([found.fullName, commandDocsEntry(found.meta, found.fullName)]);
  }
  return new RespMap(entries);
}

// ------------------------------------------------ COMMAND LIST / COUNT --

export interface CommandListFilter {
  /** ACL category name without '@', any case ("string"). */
  aclcat?: string;
  /** Glob-style pattern matched, ignoring case, against the full name ("client|*"). */
  pattern?: string;
  /** Module name: Shoal has no modules, so this filter matches nothing. */
  module?: string;
}

/**
 * Redis-style glob match (`*`, `?`, `[...]` with `^` and ranges, `\` escapes),
 * ignoring ASCII case.
 */
function globMatch(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const s = text.toLowerCase();
  const match = (pi: number, si: number): boolean => {
    while (pi < p.length) {
      const c = p[pi]!;
      if (c === '*') {
        while (p[pi + 1] === '*') pi++;
        if (pi + 1 === p.length) return true;
        for (let k = si; k <= s.length; k++) if (match(pi + 1, k)) return true;
        return false;
      }
      if (si >= s.length) return false;
      if (c === '?') {
        pi++;
        si++;
        continue;
      }
      if (c === '[') {
        pi++;
        const negate = p[pi] === '^';
        if (negate) pi++;
        let hit = false;
        const ch = s[si]!;
        while (pi < p.length && p[pi] !== ']') {
          if (p[pi] === '\\' && pi + 1 < p.length) {
            pi++;
            if (p[pi] === ch) hit = true;
            pi++;
          } else if (p[pi + 1] === '-' && pi + 2 < p.length && p[pi + 2] !== ']') {
            let lo = p[pi]!;
            let hi = p[pi + 2]!;
            if (lo > hi) [lo, hi] = [hi, lo];
            if (ch >= lo && ch <= hi) hit = true;
            pi += 3;
          } else {
            if (p[pi] === ch) hit = true;
            pi++;
          }
        }
        if (negate) hit = !hit;
        if (!hit) return false;
        pi++; // past ']' (or the end of an unterminated class)
        si++;
        continue;
      }
      if (c === '\\' && pi + 1 < p.length) pi++;
      if (p[pi] !== s[si]) return false;
      pi++;
      si++;
    }
    return si === s.length;
  };
  return match(0, 0);
}

function passes(meta: CommandMeta, fullName: string, filter: CommandListFilter): boolean {
  if (filter.module !== undefined) return false;
  if (filter.aclcat !== undefined) {
    const cat = filter.aclcat.toLowerCase();
    if (!meta.acl.includes(cat)) return false;
  }
  if (filter.pattern !== undefined && !globMatch(filter.pattern, fullName)) return false;
  return true;
}

/**
 * The names COMMAND LIST [FILTERBY ...] returns: every command and every
 * subcommand ("container|sub"), keeping those that pass the filter.
 */
export function commandListNames(filter: CommandListFilter = {}): string[] {
  const out: string[] = [];
  for (const meta of CATALOG) {
    if (passes(meta, meta.name, filter)) out.push(meta.name);
    for (const sub of meta.subcommands ?? []) {
      const fullName = `${meta.name}|${sub.name}`;
      if (passes(sub, fullName, filter)) out.push(fullName);
    }
  }
  return out;
}

/** COMMAND COUNT: the number of top-level commands. */
export function commandCount(): number {
  return CATALOG.length;
}

// ----------------------------------------------------- COMMAND GETKEYS --

const ERR_INVALID_COMMAND = 'ERR Invalid command specified';
const ERR_NO_KEYS = 'ERR The command has no key arguments';
const ERR_ARITY = 'ERR Invalid number of arguments specified for command';
const ERR_INVALID_ARGS = 'ERR Invalid arguments specified for command';

/**
 * Positions of the keys of a full command line, found through the key specs
 * of its command (key specs flagged not_key are skipped). Returns null when a
 * spec cannot be applied to these arguments (Redis then reports the arguments
 * as invalid). Positions index `args`, where args[0] is the command name.
 */
export function keyPositions(meta: CommandMeta, args: Uint8Array[]): number[] | null {
  if (meta.name === 'sort' || meta.name === 'sort_ro') return sortKeys(args);
  if (meta.name === 'migrate') return migrateKeys(args);
  const argc = args.length;
  const keys: number[] = [];
  for (const spec of meta.keySpecs) {
    if (spec.flags.includes('not_key')) continue;

    let first = 0;
    const bs = spec.beginSearch;
    if (bs.type === 'index') {
      first = bs.index;
    } else if (bs.type === 'keyword') {
      // Search from startFrom (from the end when negative) for the keyword;
      // the keys start right after it. No keyword: this spec has no keys.
      const keyword = bs.keyword.toLowerCase();
      const start = bs.startFrom > 0 ? bs.startFrom : argc + bs.startFrom;
      const end = bs.startFrom > 0 ? argc - 1 : 0;
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 0) break;
        if (argText(args[i]!).toLowerCase() === keyword) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue;
    } else {
      return null;
    }

    let last: number;
    let step: number;
    const fk = spec.findKeys;
    if (fk.type === 'range') {
      step = fk.step;
      if (fk.lastKey >= 0) last = first + fk.lastKey;
      else if (fk.limit === 0) last = argc + fk.lastKey;
      else last = first + (Math.trunc((argc - first) / fk.limit) + fk.lastKey);
    } else if (fk.type === 'keynum') {
      const at = first + fk.keyNumIdx;
      if (at >= argc) return null;
      const text = argText(args[at]!);
      if (!/^(0|-?[1-9][0-9]*)$/.test(text)) return null;
      const numKeys = Number(text);
      first += fk.firstKey;
      last = first + numKeys - 1;
      step = fk.step;
      // No key, or keys past the arguments: a syntax error, as Redis judges it.
      if (last < first || last >= argc) return null;
    } else {
      return null;
    }

    for (let i = first; i <= last; i += step) {
      // Past the end only happens for variadic commands given too few
      // arguments; Redis skips those positions rather than failing.
      if (i >= argc || i < first) continue;
      keys.push(i);
    }
  }
  return keys;
}

/**
 * The keys a router must keep on one shard, for commands whose keys move
 * (LMPOP's numkeys): none when the key count is invalid or runs past the
 * arguments (the command then fails with an error wherever it runs).
 */
export function routingKeys(meta: CommandMeta, args: Uint8Array[]): number[] {
  return keyPositions(meta, args) ?? [];
}

/**
 * MIGRATE's keys, as Redis's migrateGetKeys finds them: after a KEYS option
 * (skipping AUTH's and AUTH2's arguments), else the key argument.
 */
function migrateKeys(args: Uint8Array[]): number[] {
  for (let i = 6; i < args.length; i++) {
    const word = argText(args[i]!).toLowerCase();
    if (word === 'auth') i += 1;
    else if (word === 'auth2') i += 2;
    else if (word === 'keys') return Array.from({ length: args.length - i - 1 }, (_, k) => i + 1 + k);
  }
  return args.length > 3 ? [3] : [];
}

/**
 * SORT's keys (its STORE destination has no key spec Redis can follow): the
 * key, then the argument after the last STORE, skipping the arguments of
 * LIMIT (two), BY and GET (one), as Redis's sortGetKeys does.
 */
function sortKeys(args: Uint8Array[]): number[] {
  const keys = [1];
  let store = 0;
  for (let i = 2; i < args.length; i++) {
    const word = argText(args[i]!).toLowerCase();
    if (word === 'limit') i += 2;
    else if (word === 'get' || word === 'by') i += 1;
    else if (word === 'store' && i + 1 < args.length) store = ++i;
  }
  if (store > 0) keys.push(store);
  return keys;
}

/**
 * COMMAND GETKEYS: `args` is the command line after "COMMAND GETKEYS"
 * (args[0] is the command name). Returns the key positions within `args`, or
 * the error Redis 7.0 gives for that line.
 */
export function getKeysFromCommand(args: Uint8Array[]): number[] | RespError {
  const meta = lookupCommandFromArgs(args);
  if (!meta) return new RespError(ERR_INVALID_COMMAND);
  if (!meta.keySpecs.some((spec) => !spec.flags.includes('not_key'))) return new RespError(ERR_NO_KEYS);
  const argc = args.length;
  if ((meta.arity > 0 && meta.arity !== argc) || argc < -meta.arity) return new RespError(ERR_ARITY);
  const keys = keyPositions(meta, args);
  if (!keys || keys.length === 0) {
    // Commands whose keys are all optional answer an empty list instead.
    return meta.flags.includes('no_mandatory_keys') ? [] : new RespError(ERR_INVALID_ARGS);
  }
  return keys;
}
