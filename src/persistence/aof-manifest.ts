/**
 * Redis 7's multi-part AOF manifest: `<appendfilename>.manifest` inside
 * `appenddirname`, one line per file of the AOF:
 *
 *   file appendonly.aof.2.base.rdb seq 2 type b
 *   file appendonly.aof.1.incr.aof seq 1 type h
 *   file appendonly.aof.2.incr.aof seq 2 type i
 *
 * Each line is key/value pairs split the way Redis splits them
 * (sdssplitargs: blanks, "double quotes" with \n \r \t \b \a \xHH escapes,
 * 'single quotes'); keys are matched without case, unknown keys are skipped
 * (room for fields of later versions), a later pair of the same key wins.
 * Lines starting with '#' are comments. Names are file names, never paths.
 *
 * Names are JS strings; on disk they are their UTF-8 bytes, and bytes that
 * are not printable ASCII are written as \xHH, as Redis does.
 */

export type AofFileType = 'b' | 'i' | 'h';

export interface AofFile {
  name: string;
  seq: number;
  type: AofFileType;
}

export interface AofManifest {
  /** The base file (type b): an RDB or a rewritten AOF; null before the first rewrite. */
  base: AofFile | null;
  /** The incremental files (type i), in increasing seq order: replayed after the base. */
  incr: AofFile[];
  /** Files (type h) that a rewrite made obsolete, waiting to be deleted. */
  history: AofFile[];
}

/** Redis reads manifest lines with fgets into a 1024-byte buffer: a longer line (its '\n' included) is refused. */
export const MANIFEST_MAX_LINE = 1024;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a manifest. A string is taken as the text (encoded as UTF-8);
 * bytes are taken as they are. Throws an Error naming the line on anything
 * Redis 7 would refuse, and on a few things it would accept by accident
 * (a seq that is not a positive decimal number, a name that is not UTF-8).
 */
export function parseManifest(input: string | Uint8Array): AofManifest {
  const bytes = typeof input === 'string' ? utf8.encode(input) : input;
  if (bytes.length === 0) throw new Error('Invalid AOF manifest: the manifest is empty');
  const m: AofManifest = { base: null, incr: [], history: [] };
  let maxIncrSeq = 0;
  let lineNo = 0;
  for (let pos = 0; pos < bytes.length; ) {
    lineNo++;
    const nl = bytes.indexOf(0x0a, pos);
    const end = nl < 0 ? bytes.length : nl + 1;
    const fail = (why: string): never => {
      throw new Error(`Invalid AOF manifest, line ${lineNo} (${JSON.stringify(latin1(bytes, pos, Math.min(end, pos + 80)))}): ${why}`);
    };
    if (end - pos > MANIFEST_MAX_LINE) fail(`the line is longer than ${MANIFEST_MAX_LINE} bytes`);
    const lineStart = pos;
    pos = end;
    if (bytes[lineStart] === 0x23 /* # */) continue;
    // Redis writes every line with its '\n': a last line without one was cut short.
    if (nl < 0) fail('the last line does not end with a newline (the manifest looks truncated)');
    // Redis reads the line as a C string: a NUL hides its newline and the line is refused.
    if (bytes.subarray(lineStart, nl).includes(0)) fail('the line holds a NUL byte');
    const args = splitArgs(bytes, lineStart, nl, fail);
    if (args.length === 0) fail('the line is empty');
    // At least file, seq and type; more pairs are allowed for later versions.
    if (args.length < 6 || args.length % 2 !== 0) fail('expected "file <name> seq <n> type <b|i|h>" key/value pairs');
    let name: string | null = null;
    let seq = 0;
    let type = '';
    for (let i = 0; i < args.length; i += 2) {
      const key = latin1(args[i]!, 0, args[i]!.length).toLowerCase();
      const value = args[i + 1]!;
      if (key === 'file') {
        try {
          name = utf8Strict.decode(value);
        } catch {
          fail('the file name is not valid UTF-8');
        }
        if (name!.length === 0) fail('the file name is empty');
        if (name!.includes('/') || name!.includes('\\')) fail(`the file name ${JSON.stringify(name)} is a path, not just a file name`);
      } else if (key === 'seq') {
        const s = latin1(value, 0, value.length);
        if (!/^[0-9]{1,15}$/.test(s) || Number(s) === 0) fail(`seq ${JSON.stringify(s)} is not a positive decimal number`);
        seq = Number(s);
      } else if (key === 'type') {
        // Redis keeps the first character of the value.
        type = value.length > 0 ? String.fromCharCode(value[0]!) : '';
      }
    }
    if (name === null) fail('the "file" key is missing');
    if (seq === 0) fail('the "seq" key is missing');
    if (type === '') fail('the "type" key is missing');
    const file = { name: name!, seq, type: type as AofFileType };
    if (type === 'b') {
      if (m.base) fail(`a second base file (the first is ${JSON.stringify(m.base.name)})`);
      m.base = file;
    } else if (type === 'h') {
      m.history.push(file);
    } else if (type === 'i') {
      if (seq <= maxIncrSeq) fail(`incr seq ${seq} does not follow the previous incr seq ${maxIncrSeq} (seqs must increase)`);
      maxIncrSeq = seq;
      m.incr.push(file);
    } else {
      fail(`unknown file type ${JSON.stringify(type)} (expected b, i or h)`);
    }
  }
  return m;
}

/**
 * The manifest text exactly as Redis writes it: the base, then the
 * history files, then the incr files, one `file <name> seq <n> type <t>\n`
 * line each, names quoted when they need it.
 */
export function formatManifest(m: AofManifest): string {
  let out = '';
  const line = (f: AofFile) => {
    out += `file ${quoteName(f.name)} seq ${f.seq} type ${f.type}\n`;
  };
  if (m.base) line(m.base);
  for (const f of m.history) line(f);
  for (const f of m.incr) line(f);
  return out;
}

/** `<appendfilename>.manifest`. */
export function manifestName(appendfilename: string): string {
  return `${appendfilename}.manifest`;
}

/** `appendonly.aof.<seq>.base.rdb` (RDB preamble on) or `.base.aof`. */
export function baseName(appendfilename: string, seq: number, rdbPreamble: boolean): string {
  return `${appendfilename}.${seq}.base.${rdbPreamble ? 'rdb' : 'aof'}`;
}

/** `appendonly.aof.<seq>.incr.aof`. */
export function incrName(appendfilename: string, seq: number): string {
  return `${appendfilename}.${seq}.incr.aof`;
}

/**
 * The manifest with a new incr file at its end, as Redis makes it when a
 * rewrite starts (and when AOF is turned on): appends go there from then on.
 * Its seq follows the last incr's; a name still held by a history file
 * (not deleted yet) is skipped.
 */
export function nextManifestWithNewIncr(m: AofManifest, appendfilename: string): { manifest: AofManifest; file: AofFile } {
  let seq = (m.incr.length > 0 ? m.incr[m.incr.length - 1]!.seq : 0) + 1;
  while (nameTaken(m, incrName(appendfilename, seq))) seq++;
  const file: AofFile = { name: incrName(appendfilename, seq), seq, type: 'i' };
  return { manifest: { base: m.base && { ...m.base }, incr: [...m.incr.map(copy), file], history: m.history.map(copy) }, file };
}

/**
 * The manifest once a rewrite's new base is installed: the old base and
 * every incr file the rewrite covers become history, the new base takes
 * the next base seq. While AOF is on, the last incr file (opened when the
 * rewrite started) holds the writes made since and stays; with AOF off
 * (`aofOn` false) every incr file is covered.
 *
 * History order follows Redis: the covered incr files, then the old base,
 * then the history there was.
 */
export function nextManifestAfterRewrite(
  m: AofManifest,
  appendfilename: string,
  rdbPreamble: boolean,
  aofOn = true,
): { manifest: AofManifest; file: AofFile } {
  let seq = (m.base ? m.base.seq : 0) + 1;
  while (nameTaken(m, baseName(appendfilename, seq, rdbPreamble))) seq++;
  const file: AofFile = { name: baseName(appendfilename, seq, rdbPreamble), seq, type: 'b' };
  const keep = aofOn && m.incr.length > 0 ? 1 : 0;
  const covered = m.incr.slice(0, m.incr.length - keep).map((f) => ({ ...f, type: 'h' as const }));
  const history = [...covered, ...(m.base ? [{ ...m.base, type: 'h' as const }] : []), ...m.history.map(copy)];
  return { manifest: { base: file, incr: m.incr.slice(m.incr.length - keep).map(copy), history }, file };
}

/** The manifest once the history files are deleted (Redis does it right after installing a rewrite). */
export function manifestWithoutHistory(m: AofManifest): AofManifest {
  return { base: m.base && { ...m.base }, incr: m.incr.map(copy), history: [] };
}

function copy(f: AofFile): AofFile {
  return { ...f };
}

function nameTaken(m: AofManifest, name: string): boolean {
  return m.base?.name === name || m.incr.some((f) => f.name === name) || m.history.some((f) => f.name === name);
}

function latin1(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCharCode(b[i]!);
  return s;
}

// C's isspace() in the "C" locale: the blanks sdssplitargs skips between arguments.
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

function hexVal(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10;
}

/**
 * Splits bytes [from, to) into arguments as Redis's sdssplitargs does
 * (the line is trimmed of " \t\r\n" first, as Redis trims it).
 */
function splitArgs(b: Uint8Array, from: number, to: number, fail: (why: string) => never): Uint8Array[] {
  while (to > from && (b[to - 1] === 0x20 || b[to - 1] === 0x09 || b[to - 1] === 0x0d || b[to - 1] === 0x0a)) to--;
  const args: Uint8Array[] = [];
  let p = from;
  for (;;) {
    while (p < to && isSpace(b[p]!)) p++;
    if (p >= to) return args;
    const cur: number[] = [];
    let inDq = false;
    let inSq = false;
    for (;;) {
      const c = p < to ? b[p]! : -1;
      if (inDq) {
        if (c === -1) fail('unbalanced double quotes');
        if (c === 0x5c /* \ */ && p + 3 < to && b[p + 1] === 0x78 /* x */ && isHex(b[p + 2]) && isHex(b[p + 3])) {
          cur.push(hexVal(b[p + 2]!) * 16 + hexVal(b[p + 3]!));
          p += 3;
        } else if (c === 0x5c && p + 1 < to) {
          p++;
          const e = b[p]!;
          cur.push(e === 0x6e ? 0x0a : e === 0x72 ? 0x0d : e === 0x74 ? 0x09 : e === 0x62 ? 0x08 : e === 0x61 ? 0x07 : e);
        } else if (c === 0x22 /* " */) {
          // The closing quote must be followed by a blank or the end of the line.
          if (p + 1 < to && !isSpace(b[p + 1]!)) fail('a closing double quote is followed by something other than a blank');
          p++;
          break;
        } else {
          cur.push(c);
        }
      } else if (inSq) {
        if (c === -1) fail('unbalanced single quotes');
        if (c === 0x5c && b[p + 1] === 0x27 && p + 1 < to) {
          p++;
          cur.push(0x27);
        } else if (c === 0x27 /* ' */) {
          if (p + 1 < to && !isSpace(b[p + 1]!)) fail('a closing single quote is followed by something other than a blank');
          p++;
          break;
        } else {
          cur.push(c);
        }
      } else if (c === -1 || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        break;
      } else if (c === 0x22) {
        inDq = true;
      } else if (c === 0x27) {
        inSq = true;
      } else {
        cur.push(c);
      }
      p++;
    }
    args.push(Uint8Array.from(cur));
  }
}

/**
 * A name as Redis writes it in the manifest: bare, or, when it holds a
 * blank, a quote, a backslash or a byte that is not printable ASCII, in
 * double quotes with C escapes (sdscatrepr). One difference: Redis writes
 * a name with a single quote bare, which its own parser then reads as an
 * opening quote; such a name is quoted here, which Redis reads back fine.
 */
function quoteName(name: string): string {
  const b = utf8.encode(name);
  let needs = false;
  for (const c of b) {
    if (c <= 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c || c === 0x27) {
      needs = true;
      break;
    }
  }
  if (!needs) return name;
  let out = '"';
  for (const c of b) {
    if (c === 0x5c) out += '\\\\';
    else if (c === 0x22) out += '\\"';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x07) out += '\\a';
    else if (c === 0x08) out += '\\b';
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + '"';
}
