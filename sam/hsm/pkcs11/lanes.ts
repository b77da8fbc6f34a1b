// Worker threads that run the digest operations of Pkcs11Hsm (digest_worker.mjs says why). One lane per pooled
// session: at most that many operations are in flight, and each goes to an idle lane, so none waits behind another.
// The main thread's part of a signature is two structured-clone messages.
import { Worker } from 'node:worker_threads';
import type { Handle, Mechanism } from 'pkcs11js';
import { HsmError } from '../hsm.ts';
import { toHsmError } from './ckr.ts';

export type LaneJob =
  | { op: 'sign'; session: Handle; key: Handle; mechanism: Mechanism; data: Buffer }
  | { op: 'verify'; session: Handle; key: Handle; mechanism: Mechanism; data: Buffer; signature: Buffer };

type Pending = { resolve(v: unknown): void; reject(e: Error): void; done?: () => void };
type Lane = { worker: Worker; busy: number; pending: Map<number, Pending> };

/** Benchmark hook (instrument.ts): called as a job starts, returns the function to call when it settles. */
let timer: ((step: string) => () => void) | null = null;
export function timeLaneJobs(start: (step: string) => () => void): void {
  timer = start;
}

export class Lanes {
  private readonly lanes: Lane[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly module: string,
    count: number,
  ) {
    for (let i = 0; i < count; i++) this.lanes.push(this.start());
  }

  sign(job: Omit<Extract<LaneJob, { op: 'sign' }>, 'op'>): Promise<Buffer> {
    return this.post({ op: 'sign', ...job }, 'hsm_sign').then((r) => {
      const u8 = r as Uint8Array;
      return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
    });
  }

  verify(job: Omit<Extract<LaneJob, { op: 'verify' }>, 'op'>): Promise<boolean> {
    return this.post({ op: 'verify', ...job }, 'hsm_verify') as Promise<boolean>;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.lanes.map((l) => l.worker.terminate()));
  }

  private start(): Lane {
    // No preloads (execArgv): the worker is plain JavaScript, and the parent's loaders and probes are not for it.
    // Small heaps: a lane holds one job's buffers at a time, and every isolate counts towards the process's RSS.
    const worker = new Worker(new URL('./digest_worker.mjs', import.meta.url), {
      workerData: { module: this.module },
      execArgv: [],
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 },
    });
    const lane: Lane = { worker, busy: 0, pending: new Map() };
    worker.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
      const p = lane.pending.get(msg.id);
      if (!p) return;
      lane.pending.delete(msg.id);
      lane.busy--;
      p.done?.();
      if (msg.error !== undefined) p.reject(toHsmError(new Error(msg.error)));
      else p.resolve(msg.result);
    });
    // A lane that dies fails what it was doing, and a fresh one takes its place for the next job.
    let dead = false;
    const die = (why: string) => {
      if (dead) return;
      dead = true;
      for (const p of lane.pending.values()) {
        p.done?.();
        p.reject(new HsmError('CKR_GENERAL_ERROR', `PKCS#11 worker stopped: ${why}`));
      }
      lane.pending.clear();
      const at = this.lanes.indexOf(lane);
      if (at >= 0 && !this.closed) this.lanes[at] = this.start();
    };
    worker.on('error', (err) => die(err.message));
    worker.on('exit', (code) => die(`exit code ${code}`));
    // Idle lanes must not keep the process alive; close() ends them.
    worker.unref();
    return lane;
  }

  private post(job: LaneJob, step: string): Promise<unknown> {
    if (this.closed) return Promise.reject(new HsmError('CKR_CRYPTOKI_NOT_INITIALIZED', 'the HSM connection is closed'));
    // The least busy lane; with one lane per session, an idle one.
    let lane = this.lanes[0]!;
    for (const l of this.lanes) if (l.busy < lane.busy) lane = l;
    const id = this.nextId++;
    lane.busy++;
    return new Promise((resolve, reject) => {
      lane.pending.set(id, { resolve, reject, done: timer?.(step) });
      lane.worker.postMessage({ id, ...job });
    });
  }
}
