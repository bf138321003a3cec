/**
 * Entry point of a server thread (a worker_thread): builds the thread from
 * what the supervisor passed, logs through the supervisor, and listens and
 * stops when told. Listening waits for the word because every thread must
 * be built first: a thread that listened alone while the others still load
 * would get every early connection (reusePort only spreads them over the
 * sockets already listening).
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { type AofControlReply, ThreadServer, type ThreadMessage, type ThreadOptions } from './thread.js';
import { runFinalSave } from '../connections/persistence-family.js';
import { startScripting } from '../scripting/engine.js';

interface WorkerData extends ThreadOptions {
  /** pino level name ('silent' logs nothing). */
  level: string;
}

/** Messages the supervisor sends to a thread. */
export type SupervisorMessage = { kind: 'listen'; port: number } | { kind: 'stop' } | { kind: 'save' } | AofControlReply;

/** Messages a thread sends about its life. */
export type LifeMessage = { kind: 'loaded' } | { kind: 'saved'; ok: boolean } | { kind: 'fatal'; error: string } | { kind: 'ready'; port: number; tid: number } | { kind: 'failed'; error: string } | { kind: 'stopped' };

const data = workerData as WorkerData;
const port = parentPort!;
const post = (m: ThreadMessage | LifeMessage, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);

// Log lines go to the supervisor, which owns the log's destination.
const log = pino({ level: data.level, base: { pid: process.pid, thread: data.index } }, { write: (line: string) => post({ kind: 'log', line }) });

const thread = new ThreadServer(data, log, post);
port.on('message', (m: SupervisorMessage) => {
  if (m.kind === 'listen') {
    thread.start(m.port).then(
      (p) => {
        post({ kind: 'ready', port: p, tid: thread.tid });
        // Listening first: clients get LOADING while the dump (or the AOF) loads.
        const buf = dump;
        dump = null;
        void (async () => {
          if (buf !== null) await thread.loadDump(buf);
          if (data.aofPlan !== null && data.index === 0) await thread.loadAof();
        })().catch((err: Error) => post({ kind: 'fatal', error: err.message }));
      },
      (err: Error) => post({ kind: 'failed', error: err.message }),
    );
  } else if (m.kind === 'aof-control-reply') {
    thread.aofControlReply(m);
  } else if (m.kind === 'save') {
    void runFinalSave(thread).then((ok) => post({ kind: 'saved', ok }));
  } else if (m.kind === 'stop') {
    thread.stop();
    post({ kind: 'stopped' });
  }
});
// The dump is read before listening (a missing or unreadable file is known at once) and loaded after.
let dump: Buffer | null = null;
try {
  dump = thread.readDump();
  // The Lua engine is made before the thread serves anyone: scripts run synchronously.
  startScripting().then(
    () => post({ kind: 'loaded' }),
    (err: Error) => post({ kind: 'failed', error: `the Lua engine did not start: ${err.message}` }),
  );
} catch (err) {
  post({ kind: 'failed', error: (err as Error).message });
}
