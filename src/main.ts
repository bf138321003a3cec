#!/usr/bin/env node
/**
 * shoal [config-file] [--port N] [--bind ADDR] [--threads N] [--requirepass PW]
 *       [--loglevel L] [--maxclients N] [--<any parameter> value ...]
 *
 * Checks the Node.js version before anything else is loaded: what Shoal
 * needs (reusePort for every thread on one port) came with Node.js 22.12.
 */
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`Shoal needs Node.js 22.12 or newer (24 LTS recommended); this is ${process.version}. Run it through npm (npm run serve), which brings Node.js 24.`);
  process.exit(1);
}
await import('./threads/cli.js');
