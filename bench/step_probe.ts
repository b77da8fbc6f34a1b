// A step profile of the service, for the benchmark only: compiled with the service and preloaded into its process by
// bench/run.ts (`node --import ./.build/bench/bench/step_probe.js .build/bench/main.js`), never by `npm start`. It
// times, per benchmark phase (the x-bench-phase header the load generator sends) and per route, the wall time of
// each request and the time spent inside each kind of step the request waited on:
//   pin    — scrypt of the PIN check (core/slow_hash.ts), on libuv's thread pool;
//   hsm_sign, hsm_verify, hsm_decrypt, hsm_encrypt — the async PKCS#11 calls (thread pool);
//   db     — each pg query, from the call to its result (pool waits for a free connection are not in it).
// The rest of a request's wall time is JavaScript on the event loop (HTTP, JSON, validation, JWS, TOTP HMACs) and
// queueing. Totals are written to $STEP_PROFILE_FILE (default $DATA_DIR/step-profile.json) every second and at exit.
import { AsyncLocalStorage } from 'node:async_hooks';
import crypto from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { timeAsyncCalls } from '../sam/hsm/pkcs11/instrument.ts';

type Store = { key: string };
type Totals = { requests: number; wallMs: number; steps: Record<string, { count: number; ms: number }> };

const als = new AsyncLocalStorage<Store>();
const totals = new Map<string, Totals>();

function bucket(key: string): Totals {
  let t = totals.get(key);
  if (!t) totals.set(key, (t = { requests: 0, wallMs: 0, steps: {} }));
  return t;
}

/** Starts timing a step for the request in whose context it is called (captured now: a callback may later run
 *  in the context of a socket or thread-pool job that belongs to no request). */
function start(step: string): () => void {
  const store = als.getStore();
  const t0 = performance.now();
  return () => {
    if (store) record(store, step, performance.now() - t0);
  };
}

function record(store: Store, step: string, ms: number): void {
  const s = (bucket(store.key).steps[step] ??= { count: 0, ms: 0 });
  s.count++;
  s.ms += ms;
}

// Requests: each runs in its own store, keyed by phase and path.
const emit = http.Server.prototype.emit as (this: http.Server, event: string, ...args: unknown[]) => boolean;
http.Server.prototype.emit = function (this: http.Server, event: string, ...args: unknown[]) {
  if (event !== 'request') return emit.call(this, event, ...args);
  const [req, res] = args as [http.IncomingMessage, http.ServerResponse];
  const phase = req.headers['x-bench-phase'];
  if (typeof phase !== 'string') return emit.call(this, event, ...args);
  const key = `${phase} ${(req.url ?? '').split('?')[0]}`;
  const t0 = performance.now();
  res.once('finish', () => {
    const b = bucket(key);
    b.requests++;
    b.wallMs += performance.now() - t0;
  });
  return als.run({ key }, () => emit.call(this, event, ...args));
} as typeof http.Server.prototype.emit;

// PIN hashing: crypto.scrypt with a callback (core/slow_hash.ts); the ESM binding follows after the sync below.
const scrypt = crypto.scrypt;
(crypto as { scrypt: unknown }).scrypt = function (...args: unknown[]) {
  const cb = args[args.length - 1] as (...r: unknown[]) => void;
  const done = start('pin');
  args[args.length - 1] = (...r: unknown[]) => {
    done();
    cb(...r);
  };
  return (scrypt as (...a: unknown[]) => void)(...args);
};
syncBuiltinESMExports();

const require = createRequire(path.join(process.cwd(), 'package.json'));

// PKCS#11: the async calls, timed by a hook of the backend itself (only sam/hsm/pkcs11/ touches pkcs11js).
timeAsyncCalls(start);

// pg: Client#query, with a callback (what pg.Pool passes) or as a promise.
const pg = require('pg') as { Client: { prototype: { query: (...a: unknown[]) => unknown } } };
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
  const done = start('db');
  const last = args[args.length - 1];
  if (typeof last === 'function') {
    args[args.length - 1] = (...r: unknown[]) => {
      done();
      (last as (...r: unknown[]) => void)(...r);
    };
    return query.apply(this, args);
  }
  const out = query.apply(this, args);
  if (out && typeof (out as Promise<unknown>).then === 'function') {
    return (out as Promise<unknown>).finally(done);
  }
  return out;
};

const file = process.env.STEP_PROFILE_FILE ?? path.join(process.env.DATA_DIR ?? '.', 'step-profile.json');
const flush = () => {
  try {
    writeFileSync(file, JSON.stringify(Object.fromEntries(totals)) + '\n');
  } catch {
    /* the data directory may already be gone */
  }
};
setInterval(flush, 1000).unref();
process.on('exit', flush);
