/**
 * Entry point of a server thread (a worker_thread): builds the thread from
 * what the supervisor passed, logs through the supervisor, listens, and
 * stops when told.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { ThreadServer, type ThreadMessage, type ThreadOptions } from './thread.js';

interface WorkerData extends ThreadOptions {
  /** pino level name ('silent' logs nothing). */
  level: string;
}

/** Messages the supervisor sends to a thread. */
export type SupervisorMessage = { kind: 'stop' };

/** Messages a thread sends about its life. */
export type LifeMessage = { kind: 'ready'; port: number; tid: number } | { kind: 'failed'; error: string } | { kind: 'stopped' };

const data = workerData as WorkerData;
const port = parentPort!;
const post = (m: ThreadMessage | LifeMessage): void => port.postMessage(m);

// Log lines go to the supervisor, which owns the log's destination.
const log = pino({ level: data.level, base: { pid: process.pid, thread: data.index } }, { write: (line: string) => post({ kind: 'log', line }) });

const thread = new ThreadServer(data, log, post);
port.on('message', (m: SupervisorMessage) => {
  if (m.kind === 'stop') {
    thread.stop();
    post({ kind: 'stopped' });
  }
});
thread.start().then(
  (p) => post({ kind: 'ready', port: p, tid: thread.tid }),
  (err: Error) => post({ kind: 'failed', error: err.message }),
);
