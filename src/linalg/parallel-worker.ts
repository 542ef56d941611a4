/**
 * Worker thread of the linear-algebra pool (thread-pool.ts). It waits on the shared control block
 * (Atomics.wait, no event loop involved), runs its partition of each command (parallel-kernels.ts)
 * and signals completion. Buffers arrive on a MessagePort, read synchronously with
 * receiveMessageOnPort before every command; the main thread posts them before it signals the
 * command, so they are always there.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { CMD, CTRL, executeCommand, type View } from './parallel-kernels.js';

interface BufferMessage {
  /** register: id, buffer, kind, byteOffset, length */
  id?: number;
  buffer?: SharedArrayBuffer;
  kind?: 'f64' | 'f32' | 'i32';
  byteOffset?: number;
  length?: number;
  /** drop these buffer ids (work arrays of one step) */
  drop?: number[];
}

const { control, params, partials, index, port } = workerData as {
  control: SharedArrayBuffer; params: SharedArrayBuffer; partials: SharedArrayBuffer; index: number; port: MessagePort;
};
const ctrl = new Int32Array(control);
const par = new Float64Array(params);
const part = new Float64Array(partials);
let views: View[] = [];

function drain(): void {
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    const msg = m.message as BufferMessage;
    if (msg.drop) { for (const id of msg.drop) delete views[id]; continue; }
    const { id, buffer, kind, byteOffset, length } = msg;
    views[id!] = kind === 'f64' ? new Float64Array(buffer!, byteOffset, length)
      : kind === 'f32' ? new Float32Array(buffer!, byteOffset, length) : new Int32Array(buffer!, byteOffset, length);
  }
}

// read the sequence number BEFORE signalling readiness: the main thread dispatches only after it
let seen = Atomics.load(ctrl, CTRL.SEQ);
Atomics.add(ctrl, CTRL.READY, 1);
Atomics.notify(ctrl, CTRL.READY);
for (;;) {
  Atomics.wait(ctrl, CTRL.SEQ, seen);
  const s = Atomics.load(ctrl, CTRL.SEQ);
  if (s === seen) continue;
  seen = s;
  const cmd = ctrl[CTRL.CMD];
  if (cmd === CMD.STOP) break;
  try {
    drain();
    executeCommand(cmd, index, ctrl, par, part, views);
  } catch (e) {
    Atomics.store(ctrl, CTRL.ERR, index);
    port.postMessage(`worker ${index}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  }
  Atomics.add(ctrl, CTRL.DONE, 1);
  Atomics.notify(ctrl, CTRL.DONE);
}
port.close();
