/**
 * The `shoal` command: reads the configuration (file and flags, as
 * redis-server does), starts the threads, logs readiness, and shuts down
 * cleanly on SIGTERM, SIGINT or SHUTDOWN.
 */
import pino from 'pino';
import { ConfigError, loadConfig } from '../config/config.js';
import { SHOAL_VERSION } from '../config/version.js';
import { LOG_LEVELS, Supervisor } from './supervisor.js';

const argv = process.argv.slice(2);
if (argv[0] === '--version' || argv[0] === '-v') {
  console.log(`Shoal server v=${SHOAL_VERSION}`);
  process.exit(0);
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
const dest = logfile === '' ? pino.destination(1) : pino.destination({ dest: logfile, sync: false });
const log = pino({ level: LOG_LEVELS[config.get('loglevel')] ?? 'info', base: { pid: process.pid } }, dest);

let sup: Supervisor;
try {
  sup = await Supervisor.start(config, log, (line) => dest.write(line));
} catch (err) {
  log.fatal({ err }, (err as Error).message);
  dest.flushSync?.();
  process.exit(1);
}
log.info({ port: sup.port, threads: sup.threads, version: SHOAL_VERSION }, 'Shoal is ready to accept connections');

let stopping = false;
const exit = (): void => {
  log.info('shutting down');
  void sup.stop().then(() => {
    dest.flushSync?.();
    process.exit(0);
  });
};
/** SHUTDOWN saved already (or was told not to); nothing more to save. */
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  exit();
};
/** SIGTERM and SIGINT save first when save points are configured, as Redis does. */
const onSignal = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  log.warn(`Received ${signal} scheduling shutdown...`);
  if (config.get('save').trim() === '') return exit();
  log.info('Saving the final RDB snapshot before exiting.');
  void sup.save().then((ok) => {
    if (ok) return exit();
    log.warn("Error trying to save the DB, can't exit.");
    stopping = false;
  });
};
sup.onShutdownRequest = stop;
sup.onFatal = () => {
  stopping = true;
  void sup.stop().then(() => {
    dest.flushSync?.();
    process.exit(1);
  });
};
process.on('SIGTERM', () => onSignal('SIGTERM'));
process.on('SIGINT', () => onSignal('SIGINT'));
