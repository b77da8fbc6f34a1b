// A worker thread that signs and verifies digests on sessions the main thread lends it (sam/hsm/pkcs11/lanes.ts).
// C_SignInit and C_VerifyInit exist only as synchronous calls in pkcs11js, and a software token does real work in
// them (SoftHSM decrypts the stored key and rebuilds it on every init): on the event loop they were the largest
// part of signHash's CPU time (docs/performance.md). Here they block this thread only.
//
// Plain JavaScript on purpose: a worker is started by Node itself, without the TypeScript loader of the parent
// (tsx, vitest), on every supported Node version.
//
// The library is the parent's: same path, same process. C_Initialize answers CKR_CRYPTOKI_ALREADY_INITIALIZED,
// which is expected, and this thread never calls C_Finalize (that would end PKCS#11 for the whole process).
// Session and object handles are process-wide; the main thread's session pool guarantees that one session runs one
// operation at a time (PKCS#11 v2.40 Base §5.6).
import { parentPort, workerData } from 'node:worker_threads';
import pkcs11js from 'pkcs11js';

const p11 = new pkcs11js.PKCS11();
p11.load(workerData.module);
try {
  p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
} catch (err) {
  if (!/^CKR_CRYPTOKI_ALREADY_INITIALIZED/.test(err.message)) throw err;
}

/** Room for an RSA-8192 signature; the token reports the real length. */
const MAX_SIGNATURE_BYTES = 1024;
const asBuffer = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);

/** One digest: sign, or verify a signature. Verification refusals are answers, not errors. */
function run(job) {
  const session = asBuffer(job.session);
  const key = asBuffer(job.key);
  const data = asBuffer(job.data);
  if (job.op === 'sign') {
    p11.C_SignInit(session, job.mechanism, key);
    return p11.C_Sign(session, data, Buffer.alloc(MAX_SIGNATURE_BYTES));
  }
  p11.C_VerifyInit(session, job.mechanism, key);
  try {
    return p11.C_Verify(session, data, asBuffer(job.signature));
  } catch (err) {
    if (/^CKR_SIGNATURE_(INVALID|LEN_RANGE)/.test(err.message)) return false;
    throw err;
  }
}

parentPort.on('message', (job) => {
  try {
    parentPort.postMessage({ id: job.id, result: run(job) });
  } catch (err) {
    // Only the message crosses: it starts with the CKR_* name that ckr.ts maps and recovers from.
    parentPort.postMessage({ id: job.id, error: String(err?.message ?? err) });
  }
});
