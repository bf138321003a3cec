#!/usr/bin/env node
/**
 * shoal [config-file] [--port N] [--bind ADDR] [--threads N] [--requirepass PW]
 *       [--loglevel L] [--maxclients N] [--<any parameter> value ...]
 *
 * Checks the Node.js version before anything else is loaded: what Shoal
 * needs (reusePort for every thread on one port) came with Node.js 22.12.
 *
 * On Linux it then pins glibc's mmap threshold at its default, 128 KiB
 * (GLIBC_TUNABLES mmap_threshold), re-executing itself in place (same pid)
 * if it must. Left alone, the threshold slides up to the size of the
 * largest block freed: after the arenas let go of one 4 MiB segment, later
 * segments and large buffers come from malloc's heaps, and memory freed
 * there stays in the process's RSS (docs/architecture.md, "Memory limits").
 * SHOAL_KEEP_MALLOC=1 leaves malloc as it is.
 */
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`Shoal needs Node.js 22.12 or newer (24 LTS recommended); this is ${process.version}. Run it through npm (npm run serve), which brings Node.js 24.`);
  process.exit(1);
}
const MMAP_TUNABLE = 'glibc.malloc.mmap_threshold';
const tunables = process.env.GLIBC_TUNABLES ?? '';
if (process.platform === 'linux' && !tunables.includes(MMAP_TUNABLE) && process.env.SHOAL_KEEP_MALLOC !== '1' && typeof process.execve === 'function') {
  const env = { ...process.env, GLIBC_TUNABLES: `${tunables === '' ? '' : `${tunables}:`}${MMAP_TUNABLE}=131072` };
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], env);
}
// V8 compiles hot functions on background threads by default; their
// compilations' memory comes from those threads' malloc heaps, which glibc
// cannot give back once freed around longer-lived blocks: 9–15 MB of RSS
// that a fresh server keeps after its first load, whatever its size. The
// shard threads compile their own code instead (set before they start; no
// throughput change measured: docs/benchmarks.md). Embedded use (index.ts)
// leaves the host process's flags alone.
(await import('node:v8')).setFlagsFromString('--no-concurrent-recompilation');
await import('./threads/cli.js');
