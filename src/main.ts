#!/usr/bin/env node
/**
 * shoal [config-file] [--port N] [--bind ADDR] [--shards N] [--requirepass PW]
 *       [--loglevel L] [--maxclients N] [--<any parameter> value ...]
 *
 * Starts the front thread and one worker thread per shard.
 */
import pino from 'pino';
import { ConfigError, loadConfig } from './config/config.js';
import { Front } from './front/front.js';
import { SHOAL_VERSION } from './front/info.js';

const LEVELS: Record<string, string> = { debug: 'debug', verbose: 'debug', notice: 'info', warning: 'warn', nothing: 'silent' };

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--version' || argv[0] === '-v') {
    console.log(`Shoal server v=${SHOAL_VERSION}`);
    return;
  }
  let config;
  try {
    config = loadConfig(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`\n*** FATAL CONFIG FILE ERROR ***\n${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  if (argv.length > 0 && !argv[0].startsWith('--')) process.env.SHOAL_CONFIG_FILE = argv[0];
  const logfile = config.get('logfile');
  const log = pino(
    { level: LEVELS[config.get('loglevel')] ?? 'info', base: { pid: process.pid } },
    logfile === '' ? pino.destination(1) : pino.destination({ dest: logfile, sync: false }),
  );
  const front = new Front(config, log);
  try {
    await front.listen();
  } catch (err) {
    log.fatal({ err }, `could not listen on port ${config.get('port')}`);
    process.exit(1);
  }
  log.info({ port: config.int('port'), shards: config.int('shards'), version: SHOAL_VERSION }, 'Shoal is ready to accept connections');
  front.onShutdown = () => {
    log.flush?.();
    process.exit(0);
  };
  const stop = () => void front.shutdown();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
