/**
 * A worker_threads pool over SharedArrayBuffer for the hot loops of the voxel solvers: the fine
 * level (compact-stencil SpMV / residual / restriction, Gauss–Seidel, CG vector updates;
 * StencilParallel) and the first coarse level of the multigrid hierarchy (CSR SpMV / residual /
 * Gauss–Seidel; CsrParallel).
 *
 * - Created lazily, on the first large system (≥ `PARALLEL_MIN_UNKNOWNS` unknowns), with
 *   `threads` = os.availableParallelism() or LITHOMECH_THREADS (1 = serial); `startThreadPool`
 *   starts it early, without waiting, so that the workers load while the caller assembles. The main thread
 *   works too: the pool has threads − 1 workers. Workers are unref()-ed, so they never keep a
 *   process alive.
 * - Synchronous: the solvers are synchronous, so a command is dispatched through a shared Int32
 *   control block (Atomics.notify) and the main thread blocks in Atomics.wait until every
 *   worker has finished its partition. Buffers must live in SharedArrayBuffers (`sharedFloat64`,
 *   `sharedInt32`); they are sent to the workers once (MessagePort, received synchronously).
 * - Deterministic: partitions are fixed contiguous row ranges and reductions are summed by the
 *   main thread in partition order, so results do not depend on timing (they may depend on the
 *   thread count, through the order of the sums).
 * - Loading: from dist/ the worker is the compiled parallel-worker.js; under vitest / tsx
 *   (sources, import.meta.url ends in .ts) the worker registers tsx's loader first and imports
 *   parallel-worker.ts. When the workers cannot start, the pool is not used and `threadStatus()`
 *   says why (the solvers report it as `threads: 1 (reason)`); nothing fails silently.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { CsrMatrix, CsrValues } from './csr-matrix.js';
import {
  CMD, CTRL, CTRL_BODY, CTRL_LENGTH, PARAMS_LENGTH, csrGsBackwardRange, csrGsForwardRange, executeCommand, gsBackwardRange, gsForwardRange,
  MAX_THREADS, type StencilArrays, type View,
} from './parallel-kernels.js';

/** Systems smaller than this stay serial (dispatch costs ~10–50 µs per command). */
export let PARALLEL_MIN_UNKNOWNS = 200_000;

export interface ThreadStatus {
  /** Threads the fine-level kernels run on (1 = serial). */
  threads: number;
  /** Why (env, core count, or why the pool could not start). */
  reason: string;
}

let requestedOverride: number | undefined;

/** Threads requested: LITHOMECH_THREADS, else os.availableParallelism(), capped at 64. */
export function requestedThreads(): { threads: number; reason: string } {
  if (requestedOverride !== undefined) return { threads: requestedOverride, reason: 'configureThreads()' };
  const env = process.env.LITHOMECH_THREADS;
  if (env !== undefined && env !== '') {
    const t = Number(env);
    if (!Number.isInteger(t) || t < 1) throw new RangeError(`LITHOMECH_THREADS: expected a positive integer, got "${env}"`);
    return { threads: Math.min(t, MAX_THREADS), reason: `LITHOMECH_THREADS=${env}` };
  }
  return { threads: Math.min(availableParallelism(), MAX_THREADS), reason: 'os.availableParallelism()' };
}

/**
 * Override the thread count and the size threshold (tests; `threads` undefined = back to the
 * environment). Does not resize a running pool: call before the first parallel solve, or
 * `shutdownThreadPool()` first.
 */
export function configureThreads(o: { threads?: number; minUnknowns?: number }): void {
  if ('threads' in o) requestedOverride = o.threads;
  if (o.minUnknowns !== undefined) PARALLEL_MIN_UNKNOWNS = o.minUnknowns;
}

/** Whether a system of n unknowns will be run on the pool (decides shared allocation). */
export function wantsParallel(n: number): boolean {
  return n >= PARALLEL_MIN_UNKNOWNS && requestedThreads().threads > 1 && !poolFailure;
}

/**
 * Large shared buffers whose arrays are dead (work arrays of a setup step, `recycleShared`),
 * handed out again, zeroed, by the next shared allocations of a similar size. Fresh memory is
 * expensive where every first touch of a page is a fault (≈ 3–4 ms per MiB on the benchmark VM,
 * docs/benchmarks.md), and a freed SharedArrayBuffer outlives its last use until every thread
 * holding a view has collected it, so reuse lowers both time and peak memory.
 */
const spare: SharedArrayBuffer[] = [];
const SPARE_MIN_BYTES = 1 << 20;

/**
 * Give these arrays' buffers back for reuse. Every view of each buffer must be dead: the caller
 * owns them and keeps no reference. Small buffers are left to the garbage collector.
 */
export function recycleShared(arrays: View[]): void {
  pool?.forget(arrays);
  for (const a of arrays) {
    const b = a.buffer;
    if (b instanceof SharedArrayBuffer && b.byteLength >= SPARE_MIN_BYTES && !spare.includes(b)) spare.push(b);
  }
}

/**
 * A zeroed SharedArrayBuffer of at least `bytes` bytes: the smallest spare one of ≤ 1.25× the size
 * (a looser fit lets a small array take a buffer that a later full-size vector needs), else new.
 */
export function sharedBuffer(bytes: number): SharedArrayBuffer {
  let best = -1;
  for (let k = 0; k < spare.length; k++) {
    const L = spare[k].byteLength;
    if (L >= bytes && L <= 1.25 * bytes && (best < 0 || L < spare[best].byteLength)) best = k;
  }
  if (best < 0) return new SharedArrayBuffer(bytes);
  const b = spare.splice(best, 1)[0];
  new Uint8Array(b, 0, bytes).fill(0);
  return b;
}

/** A Float64Array in a SharedArrayBuffer when `n` is large enough for the pool, else ordinary. */
export function sharedFloat64(n: number): Float64Array {
  return wantsParallel(n) ? new Float64Array(sharedBuffer(8 * n), 0, n) : new Float64Array(n);
}
export function sharedFloat32(n: number): Float32Array {
  return wantsParallel(n) ? new Float32Array(sharedBuffer(4 * n), 0, n) : new Float32Array(n);
}
export function sharedInt32(n: number): Int32Array {
  return wantsParallel(n) ? new Int32Array(sharedBuffer(4 * n), 0, n) : new Int32Array(n);
}
/**
 * `count` Int32Arrays of length n, two per SharedArrayBuffer of 8n bytes (the size of a Float64
 * vector, so that recycled work arrays become solver vectors), or ordinary arrays below the threshold.
 */
export function sharedInt32Work(n: number, count: number): Int32Array[] {
  if (!wantsParallel(n)) return Array.from({ length: count }, () => new Int32Array(n));
  const out: Int32Array[] = [];
  for (let k = 0; k < count; k += 2) {
    const b = sharedBuffer(8 * n);
    out.push(new Int32Array(b, 0, n));
    if (k + 1 < count) out.push(new Int32Array(b, 4 * n, n));
  }
  return out;
}
export const isShared = (a: View): boolean => a.buffer instanceof SharedArrayBuffer;

export class ThreadPool {
  readonly threads: number;
  private readonly ctrl: Int32Array;
  private readonly params: Float64Array;
  private readonly partials: Float64Array;
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly ids = new Map<View, number>();
  private readonly views: View[] = [];

  private readyChecked = false;

  /**
   * Starts threads − 1 workers without waiting for them (they load their module while the caller
   * goes on, e.g. assembles the system); `waitReady` (called by getThreadPool before the first
   * command) waits until all are running. Throws when a worker cannot be created.
   */
  constructor(threads: number) {
    this.threads = threads;
    this.ctrl = new Int32Array(new SharedArrayBuffer(4 * CTRL_LENGTH));
    this.params = new Float64Array(new SharedArrayBuffer(8 * PARAMS_LENGTH));
    this.partials = new Float64Array(new SharedArrayBuffer(8 * 2 * MAX_THREADS));
    const fromSource = import.meta.url.endsWith('.ts');
    const url = new URL(`./parallel-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;
    let tsx = '';
    if (fromSource) {
      tsx = tsxEsmApi();
    }
    // the bootstrap (CommonJS eval) registers tsx's loader when running from sources
    const boot = `const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.url);
})().catch((e) => {
  workerData.port.postMessage('cannot load ' + workerData.url + ': ' + (e && e.message || e));
  const c = new Int32Array(workerData.control); Atomics.store(c, ${CTRL.ERR}, -1 - workerData.index); Atomics.add(c, ${CTRL.READY}, 1); Atomics.notify(c, ${CTRL.READY});
});`;
    try {
      for (let w = 1; w < threads; w++) {
        const { port1, port2 } = new MessageChannel();
        const worker = new Worker(boot, {
          eval: true,
          workerData: { control: this.ctrl.buffer, params: this.params.buffer, partials: this.partials.buffer, index: w, port: port2, url, tsx },
          transferList: [port2],
        });
        worker.unref();
        port1.unref();
        this.workers.push(worker);
        this.ports.push(port1);
      }
    } catch (e) {
      this.terminate();
      throw e;
    }
  }

  /** Waits (≤ timeoutMs) until every worker is running; throws (and terminates the pool) otherwise. */
  waitReady(timeoutMs = 30_000): void {
    if (this.readyChecked) return;
    try {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const ready = Atomics.load(this.ctrl, CTRL.READY);
        if (ready >= this.threads - 1) break;
        const left = deadline - performance.now();
        if (left <= 0) throw new Error(`${this.threads - 1 - ready} worker(s) did not start within ${timeoutMs} ms`);
        Atomics.wait(this.ctrl, CTRL.READY, ready, left);
      }
      if (Atomics.load(this.ctrl, CTRL.ERR) !== 0) throw new Error(this.messages() || 'a worker failed to start');
    } catch (e) {
      this.terminate();
      throw e;
    }
    this.readyChecked = true;
  }

  private messages(): string {
    const out: string[] = [];
    for (const p of this.ports) for (let m = receiveMessageOnPort(p); m; m = receiveMessageOnPort(p)) out.push(String(m.message));
    return out.join('; ');
  }

  /** Buffer id of a shared typed array (sent to the workers on first use). */
  id(a: View): number {
    let id = this.ids.get(a);
    if (id !== undefined) return id;
    if (!isShared(a)) throw new Error('ThreadPool: array is not backed by a SharedArrayBuffer');
    id = this.views.length;
    this.views.push(a);
    this.ids.set(a, id);
    const msg = { id, buffer: a.buffer, kind: a instanceof Float64Array ? 'f64' : a instanceof Float32Array ? 'f32' : 'i32', byteOffset: a.byteOffset, length: a.length };
    for (const p of this.ports) p.postMessage(msg);
    return id;
  }

  /**
   * Forget these buffers (work arrays of one step), so that this pool no longer keeps them alive;
   * the workers drop their views with the next command (their memory, though, is freed only when
   * the workers end: releaseSolveMemory).
   */
  forget(arrays: View[]): void {
    const drop: number[] = [];
    for (const a of arrays) {
      const id = this.ids.get(a);
      if (id === undefined) continue;
      this.ids.delete(a);
      delete this.views[id];
      drop.push(id);
    }
    if (drop.length > 0) for (const p of this.ports) p.postMessage({ drop });
  }

  /**
   * Run `cmd` over the partitions `ranges` (r_0 = 0 … r_T = n, T = this.threads) with argument
   * buffers `args` (ids), Gauss–Seidel body starts `bodies`, scalar params (one, or a list of at
   * most PARAMS_LENGTH); returns the
   * partials (2 per partition; valid until the next call).
   */
  run(cmd: number, ranges: ArrayLike<number>, args: View[], bodies: ArrayLike<number>, p0: number | ArrayLike<number> = 0): Float64Array {
    if (args.length > CTRL.NIDS) throw new RangeError(`ThreadPool: ${args.length} arguments, at most ${CTRL.NIDS}`);
    const c = this.ctrl, T = this.threads;
    for (let k = 0; k < args.length; k++) c[CTRL.IDS + k] = this.id(args[k]);
    for (let k = 0; k <= T; k++) c[CTRL.RANGES + k] = ranges[k] ?? ranges[ranges.length - 1];
    for (let k = 0; k < T; k++) c[CTRL_BODY + k] = bodies[k] ?? c[CTRL.RANGES + k];
    c[CTRL.NPART] = T;
    if (typeof p0 === 'number') this.params[0] = p0;
    else {
      if (p0.length > PARAMS_LENGTH) throw new RangeError(`ThreadPool: ${p0.length} parameters, at most ${PARAMS_LENGTH}`);
      for (let k = 0; k < p0.length; k++) this.params[k] = p0[k];
    }
    Atomics.store(c, CTRL.DONE, 0);
    Atomics.store(c, CTRL.CMD, cmd);
    Atomics.add(c, CTRL.SEQ, 1);
    Atomics.notify(c, CTRL.SEQ);
    let mainError: unknown;
    try { executeCommand(cmd, 0, c, this.params, this.partials, this.views); } catch (e) { mainError = e; }
    for (;;) {
      const d = Atomics.load(c, CTRL.DONE);
      if (d >= T - 1) break;
      if (Atomics.wait(c, CTRL.DONE, d, 120_000) === 'timed-out' && Atomics.load(c, CTRL.DONE) === d) {
        throw new Error('ThreadPool: a worker did not answer within 120 s');
      }
    }
    if (mainError) throw mainError;
    if (Atomics.load(c, CTRL.ERR) !== 0) {
      Atomics.store(c, CTRL.ERR, 0);
      throw new Error(`ThreadPool: ${this.messages()}`);
    }
    return this.partials;
  }

  terminate(): void {
    Atomics.store(this.ctrl, CTRL.CMD, CMD.STOP);
    Atomics.add(this.ctrl, CTRL.SEQ, 1);
    Atomics.notify(this.ctrl, CTRL.SEQ);
    for (const w of this.workers) void w.terminate();
    for (const p of this.ports) p.close();
    this.workers.length = 0;
    this.ports.length = 0;
  }
}

/** file URL of tsx's ESM register API (its `import` export; the CJS one cannot register ESM hooks). */
function tsxEsmApi(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
    const exp = JSON.parse(readFileSync(pkg, 'utf8')).exports?.['./esm/api']?.import;
    const rel = typeof exp === 'string' ? exp : exp?.default;
    if (typeof rel === 'string') return pathToFileURL(path.join(path.dirname(pkg), rel)).href;
  } catch { /* fall through to the bare specifier */ }
  return 'tsx/esm/api';
}

let pool: ThreadPool | undefined;
let poolFailure: string | undefined;

/**
 * Start the process-wide pool's workers now, without waiting for them, when a system of n
 * unknowns will use it: their start-up (≈ 0.3–0.5 s, module loading) then overlaps the caller's
 * serial work instead of delaying the first threaded command. A no-op when the pool runs, n is
 * below the threshold or one thread is requested. A worker that cannot be created is reported as
 * by getThreadPool (a warning, and threadStatus' reason); one that fails later while loading, by
 * the first getThreadPool.
 */
export function startThreadPool(n: number): void {
  if (!wantsParallel(n)) return;
  const { threads } = requestedThreads();
  if (pool && pool.threads === threads) return;
  if (pool) { pool.terminate(); pool = undefined; }
  try {
    pool = new ThreadPool(threads);
  } catch (e) {
    failPool(e);
  }
}

function failPool(e: unknown): void {
  pool = undefined;
  poolFailure = `worker threads could not start: ${e instanceof Error ? e.message : String(e)}`;
  process.emitWarning(`lithomech: running serial, ${poolFailure}`);
}

/** The process-wide pool (started on first call), or undefined with the reason in threadStatus(). */
export function getThreadPool(): ThreadPool | undefined {
  const { threads } = requestedThreads();
  if (threads <= 1 || poolFailure) return undefined;
  if (pool && pool.threads !== threads) { pool.terminate(); pool = undefined; }
  try {
    pool ??= new ThreadPool(threads);
    pool.waitReady();
  } catch (e) {
    failPool(e);
    return undefined;
  }
  return pool;
}

/** Stop the pool (the next parallel solve starts a new one) and drop the spare buffers. */
export function shutdownThreadPool(): void {
  pool?.terminate();
  pool = undefined;
  poolFailure = undefined;
  spare.length = 0;
}

/**
 * Give the shared memory of a finished solve back: stop the pool and collect this thread's
 * garbage. A SharedArrayBuffer is freed only when every thread that received it has let it go;
 * the workers, asleep in Atomics.wait and allocating almost nothing, kept them even after
 * dropping their views and a forced collection, and this thread collected them late — the three
 * solves of `lithomech tortuosity --axis all` on the 301×301×251 NREL volume peaked at 3.45 GB
 * (2.16 GiB in-process) against 1.2 GiB for one. Ending the workers (the next solve starts them
 * again while it assembles) and one full collection here keep every solve at the peak of one.
 */
export function releaseSolveMemory(): void {
  if (!pool) return;
  shutdownThreadPool();
  collectGarbage();
}

let gcFunction: (() => void) | undefined;
/** A full garbage collection of this thread (`gc`, exposed to a new context by the V8 flag). */
function collectGarbage(): void {
  if (!gcFunction) {
    setFlagsFromString('--expose-gc');
    gcFunction = runInNewContext('gc') as () => void;
  }
  gcFunction();
}

/** What a solve of n unknowns runs on, and why. */
export function threadStatus(n: number): ThreadStatus {
  const req = requestedThreads();
  if (req.threads <= 1) return { threads: 1, reason: req.reason };
  if (poolFailure) return { threads: 1, reason: poolFailure };
  if (n < PARALLEL_MIN_UNKNOWNS) return { threads: 1, reason: `${n} unknowns < ${PARALLEL_MIN_UNKNOWNS} (serial below that)` };
  return { threads: req.threads, reason: req.reason };
}

/**
 * The fine-level parallel operations of one Stencil7Matrix: fixed partitions (aligned so that no
 * aggregate of the multigrid restriction spans two of them) and the Gauss–Seidel bands.
 *
 * Gauss–Seidel: partition p's rows split into a "band" [r_p, a_p) — rows with a neighbour in a
 * lower partition — and a "body" [a_p, r_{p+1}). A body row only reads rows of its own partition
 * and of the band of the next one, so all bodies can be swept at once; the bands are then swept
 * serially. That is exactly a serial Gauss–Seidel sweep in the row order (body₀, …, body_{T−1},
 * band₁, …, band_{T−1}) — a true multiplicative sweep, not a block-Jacobi one — and the backward
 * sweep runs the reverse order, so forward-before / backward-after stays a symmetric smoother.
 */
export class StencilParallel {
  readonly threads: number;
  private readonly S: View[];

  private constructor(
    readonly pool: ThreadPool,
    readonly A: StencilArrays,
    readonly ranges: Int32Array,
    readonly bodies: Int32Array,
    /** per partition: first row from which the residual after a zero-start forward sweep is the upper part alone */
    readonly upperFrom: Int32Array,
  ) {
    this.threads = pool.threads;
    this.S = [A.diag, A.gx, A.gy, A.gz, A.up, A.front, A.down, A.back];
  }

  /**
   * Partitions for A (and the restriction `aggregate`, if any), or a reason why not: the pool is
   * off, the arrays are not shared, or the partitions would be thinner than a grid plane.
   * `partitions` (e.g. the aggregation's own, GridAggregation.partitions) is used as it is when no
   * aggregate spans two of its parts.
   */
  static create(A: StencilArrays, aggregate?: Int32Array, partitions?: Int32Array): StencilParallel | string {
    const n = A.n;
    const st = threadStatus(n);
    if (st.threads <= 1) return st.reason;
    for (const a of [A.diag, A.gx, A.gy, A.gz, A.up, A.front, A.down, A.back]) {
      if (!isShared(a)) return 'stencil arrays not in SharedArrayBuffers';
    }
    const pool = getThreadPool();
    if (!pool) return threadStatus(n).reason;
    const T = pool.threads;
    let ranges: Int32Array;
    if (aggregate && partitions && partitions.length === T + 1 && aggregatesWithin(aggregate, partitions)) ranges = Int32Array.from(partitions);
    else {
      const valid = aggregate ? boundariesOutside(aggregate) : () => true;
      ranges = new Int32Array(T + 1);
      ranges[T] = n;
      for (let p = 1; p < T; p++) {
        let b = Math.max(Math.floor((n * p) / T), ranges[p - 1] + 1);
        while (b < n && !valid(b)) b++;
        ranges[p] = b;
      }
    }
    const { gx, gy, gz, up, front, down, back } = A;
    const bodies = new Int32Array(T);
    for (let p = 1; p < T; p++) {
      const r0 = ranges[p], r1 = ranges[p + 1];
      let a = r0;
      for (let i = r0; i < r1; i++) {
        const dn = down[i], bk = back[i];
        if ((i === r0 && gx[i - 1] !== 0) || (gy[dn] !== 0 && dn < r0) || (gz[bk] !== 0 && bk < r0)) a = i + 1;
      }
      bodies[p] = a;
    }
    // a body row may only read its own partition and the band of the next one
    for (let p = 0; p + 1 < T; p++) {
      const limit = bodies[p + 1];
      for (let i = bodies[p]; i < ranges[p + 1]; i++) {
        if ((gx[i] !== 0 && i + 1 >= limit) || (gy[i] !== 0 && up[i] >= limit) || (gz[i] !== 0 && front[i] >= limit)) {
          return `partitions of ${n} unknowns over ${T} threads are thinner than a grid plane`;
        }
      }
    }
    // after a zero-start forward sweep, rows of a body whose lower neighbours are all in that body
    // (swept before them) have the upper residual; the band and the body rows next to it do not
    const upperFrom = new Int32Array(T);
    for (let p = 1; p < T; p++) {
      const a = bodies[p];
      let t = a;
      for (let i = a; i < ranges[p + 1]; i++) {
        const dn = down[i], bk = back[i];
        if ((gx[i - 1] !== 0 && i - 1 < a) || (gy[dn] !== 0 && dn < a) || (gz[bk] !== 0 && bk < a)) t = i + 1;
      }
      upperFrom[p] = t;
    }
    return new StencilParallel(pool, A, ranges, bodies, upperFrom);
  }

  private sum(partials: Float64Array, k: number): number {
    let s = 0;
    for (let p = 0; p < this.threads; p++) s += partials[2 * p + k];
    return s;
  }

  /** y ← A x; returns x · y. */
  applyDot(x: Float64Array, y: Float64Array): number {
    return this.sum(this.pool.run(CMD.APPLY_DOT, this.ranges, [...this.S, x, y], this.bodies), 0);
  }

  /** r ← b − A x; returns ‖r‖². */
  residual(b: Float64Array, x: Float64Array, r: Float64Array): number {
    return this.sum(this.pool.run(CMD.RESIDUAL, this.ranges, [...this.S, b, x, r], this.bodies), 0);
  }

  /** rc ← Pᵀ (b − A x) (bitwise equal to the serial loop: no aggregate spans two partitions). */
  restrictResidual(b: Float64Array, x: Float64Array, aggregate: Int32Array, rc: Float64Array): void {
    rc.fill(0);
    this.pool.run(CMD.RESTRICT, this.ranges, [...this.S, b, x, aggregate, rc], this.bodies);
  }

  /**
   * restrictResidual right after `gaussSeidelForward(b, x, true)` (one sweep from zero): the upper
   * residual where it equals the full one (see upperFrom), the full residual elsewhere.
   */
  restrictResidualAfterForward(b: Float64Array, x: Float64Array, aggregate: Int32Array, rc: Float64Array): void {
    rc.fill(0);
    this.pool.run(CMD.RESTRICT_AFTER_FORWARD, this.ranges, [...this.S, b, x, aggregate, rc], this.upperFrom);
  }

  /** x += P xc */
  prolong(aggregate: Int32Array, xc: Float64Array, x: Float64Array): void {
    this.pool.run(CMD.PROLONG, this.ranges, [aggregate, xc, x], this.bodies);
  }

  /** Forward Gauss–Seidel sweep (see the class comment); `zeroStart`: x = 0 on entry. */
  gaussSeidelForward(b: Float64Array, x: Float64Array, zeroStart: boolean): void {
    const n = this.A.n;
    if (zeroStart) x[n - 1] = 0; // the sentinel is read with coupling 0: keep it finite
    this.pool.run(zeroStart ? CMD.GS_FWD_ZERO_BODY : CMD.GS_FWD_BODY, this.ranges, [...this.S, b, x], this.bodies);
    for (let p = 1; p < this.threads; p++) gsBand(this.A, b, x, this.ranges[p], this.bodies[p], true);
  }

  /** Backward sweep: the exact reverse row order of the forward one. */
  gaussSeidelBackward(b: Float64Array, x: Float64Array): void {
    for (let p = this.threads - 1; p >= 1; p--) gsBand(this.A, b, x, this.ranges[p], this.bodies[p], false);
    this.pool.run(CMD.GS_BWD_BODY, this.ranges, [...this.S, b, x], this.bodies);
  }

  /** x += α p, r −= α q; returns ‖r‖². */
  cgUpdate(alpha: number, p: Float64Array, q: Float64Array, x: Float64Array, r: Float64Array): number {
    return this.sum(this.pool.run(CMD.CG_UPDATE, this.ranges, [p, q, x, r], this.bodies, alpha), 0);
  }

  /** [r · z, z · q] in one pass. */
  dot2(r: Float64Array, z: Float64Array, q: Float64Array): [number, number] {
    const c = this.pool.run(CMD.DOT2, this.ranges, [r, z, q], this.bodies);
    return [this.sum(c, 0), this.sum(c, 1)];
  }

  /** p ← z + β p */
  xpay(z: Float64Array, beta: number, p: Float64Array): void {
    this.pool.run(CMD.XPAY, this.ranges, [z, p], this.bodies, beta);
  }

  /** `a` in a SharedArrayBuffer (a itself when it already is). */
  sharedCopy(a: Int32Array): Int32Array {
    if (isShared(a)) return a;
    const c = new Int32Array(new SharedArrayBuffer(4 * a.length));
    c.set(a);
    return c;
  }

  /** A vector the workers can use. */
  vector(n: number): Float64Array {
    return new Float64Array(sharedBuffer(8 * n), 0, n);
  }
}

/**
 * Whether the row partition `parts` (r_0 = 0 … r_T = n) splits no aggregate: every part's largest
 * aggregate id is below the next part's smallest (one read-only pass, no work arrays).
 */
function aggregatesWithin(aggregate: Int32Array, parts: Int32Array): boolean {
  const T = parts.length - 1;
  if (parts[0] !== 0 || parts[T] !== aggregate.length) return false;
  let prevMax = -1;
  for (let p = 0; p < T; p++) {
    if (parts[p + 1] < parts[p]) return false;
    let lo = Infinity, hi = -1;
    for (let i = parts[p]; i < parts[p + 1]; i++) { const g = aggregate[i]; if (g < lo) lo = g; if (g > hi) hi = g; }
    if (hi < 0) continue;
    if (lo <= prevMax) return false;
    prevMax = hi;
  }
  return true;
}

/**
 * For an aggregate map (row → aggregate): a test whether a partition boundary b (rows < b | ≥ b)
 * splits no aggregate.
 */
function boundariesOutside(aggregate: Int32Array): (b: number) => boolean {
  const n = aggregate.length;
  let nc = 0;
  for (let i = 0; i < n; i++) if (aggregate[i] >= nc) nc = aggregate[i] + 1;
  const first = new Int32Array(nc).fill(-1), last = new Int32Array(nc);
  for (let i = 0; i < n; i++) { const g = aggregate[i]; if (first[g] < 0) first[g] = i; last[g] = i; }
  const cross = new Int32Array(n + 1);
  for (let g = 0; g < nc; g++) if (first[g] >= 0 && last[g] > first[g]) { cross[first[g] + 1]++; cross[last[g] + 1]--; }
  for (let b = 1; b <= n; b++) cross[b] += cross[b - 1];
  return (b) => cross[b] === 0;
}

/** Serial Gauss–Seidel on rows [r0, r1) in the given direction (a band). */
function gsBand(A: StencilArrays, b: Float64Array, x: Float64Array, r0: number, r1: number, forward: boolean): void {
  if (r1 <= r0) return;
  if (forward) gsForwardRange(A, b, x, r0, r1);
  else gsBackwardRange(A, b, x, r0, r1);
}

/**
 * The same for a CSR level (the first coarse level of the multigrid hierarchy): fixed partitions,
 * threaded SpMV / residual (bitwise the serial loops) and the band/body Gauss–Seidel of
 * StencilParallel, with the bands found from the column indices. Only for matrices whose
 * couplings are "banded" enough (every body row reads its own partition and the next band);
 * `create` returns the reason otherwise.
 */
/**
 * A copy of A in SharedArrayBuffers with row partitions for the pool (`threaded`), so that its
 * apply / residual run on every thread when the vectors are shared too (bitwise the serial
 * result: each row is summed the same way). Returns A itself, and the reason, when the system is
 * too small, one thread is requested, or the pool cannot take it.
 */
export function threadedCsr<V extends CsrValues>(A: CsrMatrix<V>): { A: CsrMatrix<V>; threads: number; reason: string } {
  const n = A.nRows;
  if (!wantsParallel(n)) return { A, threads: 1, reason: threadStatus(n).reason };
  const rp = new Int32Array(new SharedArrayBuffer(4 * A.rowPtr.length)); rp.set(A.rowPtr);
  const ci = new Int32Array(new SharedArrayBuffer(4 * A.colIdx.length)); ci.set(A.colIdx);
  const Values = A.values.constructor as new (b: SharedArrayBuffer) => V;
  const v = new Values(new SharedArrayBuffer(A.values.BYTES_PER_ELEMENT * A.values.length)); v.set(A.values);
  const S = new (A.constructor as new (r: number, c: number, rp: Int32Array, ci: Int32Array, v: V) => CsrMatrix<V>)(A.nRows, A.nCols, rp, ci, v);
  const par = CsrParallel.create(S);
  if (typeof par === 'string') return { A, threads: 1, reason: par };
  S.threaded = par;
  return { A: S, threads: par.threads, reason: threadStatus(n).reason };
}

export class CsrParallel {
  readonly threads: number;
  private readonly M: View[];

  private constructor(
    readonly pool: ThreadPool,
    readonly A: CsrMatrix<CsrValues>,
    readonly invDiag: Float64Array,
    readonly ranges: Int32Array,
    readonly bodies: Int32Array,
    /** the restriction the partitions respect (create's `aggregate`) */
    readonly aggregate?: Int32Array,
  ) {
    this.threads = pool.threads;
    this.M = [A.rowPtr, A.colIdx, A.values, invDiag];
  }

  /** rc ← Pᵀ (b − A x) for the partitions' aggregate map (bitwise the serial residual + sum). */
  restrictResidual(b: Float64Array, x: Float64Array, rc: Float64Array): void {
    if (!this.aggregate) throw new Error('CsrParallel.restrictResidual: partitions were made without an aggregate map');
    rc.fill(0);
    this.pool.run(CMD.CSR_RESTRICT, this.ranges, [...this.M, b, x, this.aggregate, rc], this.bodies);
  }

  /** x += P xc */
  prolong(xc: Float64Array, x: Float64Array): void {
    if (!this.aggregate) throw new Error('CsrParallel.prolong: partitions were made without an aggregate map');
    this.pool.run(CMD.PROLONG, this.ranges, [this.aggregate, xc, x], this.bodies);
  }

  /** r ← b − a w; returns [‖r‖², ‖b‖²]. */
  axpyNorm2(a: number, b: Float64Array, w: Float64Array, r: Float64Array): [number, number] {
    const c = this.pool.run(CMD.AXPY_NORM2, this.ranges, [b, w, r], this.bodies, a);
    let s = 0, t = 0;
    for (let p = 0; p < this.threads; p++) { s += c[2 * p]; t += c[2 * p + 1]; }
    return [s, t];
  }

  /** x ← s1 c1 + s2 c2 */
  linearCombination(s1: number, c1: Float64Array, s2: number, c2: Float64Array, x: Float64Array): void {
    this.pool.run(CMD.LINEAR_COMBINATION, this.ranges, [c1, c2, x], this.bodies, [s1, s2]);
  }

  /** u · w */
  dot(u: Float64Array, w: Float64Array): number {
    return this.sum(this.pool.run(CMD.DOT, this.ranges, [u, w], this.bodies));
  }

  /** [r · z, z · q] in one pass. */
  dot2(r: Float64Array, z: Float64Array, q: Float64Array): [number, number] {
    const c = this.pool.run(CMD.DOT2, this.ranges, [r, z, q], this.bodies);
    let a = 0, d = 0;
    for (let p = 0; p < this.threads; p++) { a += c[2 * p]; d += c[2 * p + 1]; }
    return [a, d];
  }

  /**
   * Partitions for A, or the reason why not. With `aggregate` (the restriction to the next
   * multigrid level) the boundaries are moved so that no aggregate spans two partitions, which
   * lets the fused residual + restriction (`restrictResidual`) run on every thread.
   */
  static create(A: CsrMatrix<CsrValues>, aggregate?: Int32Array): CsrParallel | string {
    const n = A.nRows;
    const st = threadStatus(n);
    if (st.threads <= 1) return st.reason;
    if (!isShared(A.rowPtr) || !isShared(A.colIdx) || !isShared(A.values)) return 'CSR arrays not in SharedArrayBuffers';
    if (aggregate && !isShared(aggregate)) return 'aggregate map not in a SharedArrayBuffer';
    const pool = getThreadPool();
    if (!pool) return threadStatus(n).reason;
    const T = pool.threads;
    const rp = A.rowPtr, ci = A.colIdx, v = A.values;
    const valid = aggregate ? boundariesOutside(aggregate) : () => true;
    const ranges = new Int32Array(T + 1);
    ranges[T] = n;
    for (let p = 1; p < T; p++) {
      let b = Math.max(Math.floor((n * p) / T), ranges[p - 1]);
      while (b < n && !valid(b)) b++;
      ranges[p] = b;
    }
    const bodies = new Int32Array(T);
    for (let p = 1; p < T; p++) {
      const r0 = ranges[p], r1 = ranges[p + 1];
      let a = r0;
      for (let i = r0; i < r1; i++) {
        for (let k = rp[i]; k < rp[i + 1]; k++) if (ci[k] < r0 && v[k] !== 0) { a = i + 1; break; }
      }
      bodies[p] = a;
    }
    for (let p = 0; p + 1 < T; p++) {
      const limit = bodies[p + 1];
      for (let i = bodies[p]; i < ranges[p + 1]; i++) {
        for (let k = rp[i]; k < rp[i + 1]; k++) {
          if (ci[k] >= limit && v[k] !== 0) return `CSR level of ${n} rows: couplings too wide for ${T} partitions`;
        }
      }
    }
    const inv = new Float64Array(new SharedArrayBuffer(8 * n));
    for (let i = 0; i < n; i++) {
      let d = 0;
      for (let k = rp[i]; k < rp[i + 1]; k++) if (ci[k] === i) d = v[k];
      if (!(d !== 0 && Number.isFinite(d))) return `CSR level: diagonal entry ${i} is ${d}`;
      inv[i] = 1 / d;
    }
    return new CsrParallel(pool, A, inv, ranges, bodies, aggregate);
  }

  private sum(partials: Float64Array): number {
    let s = 0;
    for (let p = 0; p < this.threads; p++) s += partials[2 * p];
    return s;
  }

  /** y ← A x; returns x · y. */
  applyDot(x: Float64Array, y: Float64Array): number {
    return this.sum(this.pool.run(CMD.CSR_APPLY_DOT, this.ranges, [...this.M, x, y], this.bodies));
  }

  /** r ← b − A x; returns ‖r‖². */
  residual(b: Float64Array, x: Float64Array, r: Float64Array): number {
    return this.sum(this.pool.run(CMD.CSR_RESIDUAL, this.ranges, [...this.M, b, x, r], this.bodies));
  }

  /** Forward sweep in the order body₀ … body_{T−1}, band₁ … band_{T−1} (`zeroStart`: x ← 0 first). */
  gaussSeidelForward(b: Float64Array, x: Float64Array, zeroStart: boolean): void {
    if (zeroStart) this.pool.run(CMD.FILL0, this.ranges, [x], this.bodies);
    this.pool.run(CMD.CSR_GS_FWD_BODY, this.ranges, [...this.M, b, x], this.bodies);
    const { rowPtr, colIdx, values } = this.A;
    for (let p = 1; p < this.threads; p++) csrGsForwardRange(rowPtr, colIdx, values, this.invDiag, b, x, this.ranges[p], this.bodies[p]);
  }

  /** Backward sweep: the exact reverse order. */
  gaussSeidelBackward(b: Float64Array, x: Float64Array): void {
    const { rowPtr, colIdx, values } = this.A;
    for (let p = this.threads - 1; p >= 1; p--) csrGsBackwardRange(rowPtr, colIdx, values, this.invDiag, b, x, this.ranges[p], this.bodies[p]);
    this.pool.run(CMD.CSR_GS_BWD_BODY, this.ranges, [...this.M, b, x], this.bodies);
  }
}
