/**
 * Speed of the RDB codec's hot pieces, per byte or per element (speed lives
 * here, not in tests): CRC-64 over every byte of a snapshot, LZF on long
 * strings, and the writer and reader over a dataset of small values.
 *
 *   npm run build && node dist/bench/rdb-codec.js
 */
import { Crc64 } from '../src/persistence/crc64.js';
import { lzfCompress, lzfDecompress } from '../src/persistence/lzf.js';
import { readRdb } from '../src/persistence/rdb-reader.js';
import { RdbWriter } from '../src/persistence/rdb-writer.js';
import { DEFAULT_LIMITS, type RdbValue } from '../src/persistence/rdb-value.js';
import { printTable } from './lib.js';

function best(rounds: number, f: () => void): number {
  f();
  let min = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    f();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

const MB = 1 << 20;
const buf = new Uint8Array(64 * MB);
for (let i = 0; i < buf.length; i++) buf[i] = (i * 131 + (i >> 9)) & 0xff;
const text = new TextEncoder().encode('user:1000 logged in from 10.0.0.1 at 2026-12-06T03:00:00Z; '.repeat(20000));

const rows: string[][] = [];
const crcMs = best(3, () => new Crc64().update(buf, 0, buf.length));
rows.push(['CRC-64', `${(64 / (crcMs / 1000)).toFixed(0)} MB/s`]);
let packed: Uint8Array | null = null;
const lzfMs = best(3, () => (packed = lzfCompress(text, 0, text.length)));
rows.push(['LZF compress (log lines)', `${(text.length / MB / (lzfMs / 1000)).toFixed(0)} MB/s, ratio ${(text.length / packed!.length).toFixed(1)}`]);
const unMs = best(3, () => lzfDecompress(packed!, 0, packed!.length, text.length));
rows.push(['LZF decompress', `${(text.length / MB / (unMs / 1000)).toFixed(0)} MB/s`]);

const N = 500_000;
const keys = Array.from({ length: N }, (_, i) => new TextEncoder().encode(`key:${i.toString().padStart(10, '0')}`));
const values: RdbValue[] = keys.map((_, i) => ({ type: 'string', value: new TextEncoder().encode(`value-${i}-${'x'.repeat(50)}`) }));
let file: Uint8Array = new Uint8Array(0);
const wMs = best(3, () => {
  const w = new RdbWriter({ compress: true, checksum: true, limits: DEFAULT_LIMITS });
  w.header();
  w.selectDb(0);
  w.resizeDb(N, 0);
  for (let i = 0; i < N; i++) w.entry(keys[i], values[i], -1);
  w.finish();
  file = w.take();
});
rows.push(['RdbWriter, 64-byte strings', `${((N / wMs) * 1000).toFixed(0)} keys/s (${(file.length / MB / (wMs / 1000)).toFixed(0)} MB/s)`]);
const rMs = best(3, () => readRdb(file, () => {}));
rows.push(['readRdb, same file', `${((N / rMs) * 1000).toFixed(0)} keys/s`]);
printTable(['piece', 'speed'], rows);
