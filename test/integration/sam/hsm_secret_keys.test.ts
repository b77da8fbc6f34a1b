// The AES keys of the SAM (OTP seeds, sealed secrets) are looked up once per label and their handles cached
// (sam/hsm/pkcs11/pkcs11_hsm.ts secretKeys): a C_FindObjects per activation walked every object of the token. The
// cache must not cost what the per-call look-up gave: data encrypted by another process under a key this process
// has not seen stays readable, and a key destroyed underneath is dropped, not used. Real SoftHSM2 token of this
// file's own; "another process" is a real child process that opens the same token through pkcs11js.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Hsm } from '../../../sam/hsm/hsm.ts';
import { openPkcs11Hsm } from '../../../sam/hsm/pkcs11/index.ts';
import { ensureDevToken } from '../../../softhsm-config/dev_token.ts';

const run = promisify(execFile);
const LABEL = `keys-${randomUUID().slice(0, 8)}`;
const KEY = 'rssp-test-wrap';
let dataDir: string;
let token: { module: string; pin: string };
const opened: Hsm[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'hsm-keys-'));
  token = await ensureDevToken({ dataDir, label: LABEL });
});

afterAll(async () => {
  for (const h of opened) await h.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function open(): Promise<Hsm> {
  const h = await openPkcs11Hsm({ module: token.module, tokenLabel: LABEL, pin: token.pin, sessions: 2 });
  opened.push(h);
  return h;
}

/** In a process of its own: creates an AES key labelled KEY with an all-zero CKA_ID (so it sorts first and a fresh
 *  look-up encrypts under it), or destroys that key again. */
async function otherProcess(action: 'create' | 'destroy'): Promise<void> {
  const script = `
    const { PKCS11, ...P } = require('pkcs11js');
    const p = new PKCS11(); p.load(${JSON.stringify(token.module)}); p.C_Initialize();
    const slot = p.C_GetSlotList(true).find((s) => p.C_GetTokenInfo(s).label.replace(/[\\s\\0]+$/, "") === ${JSON.stringify(LABEL)});
    if (!slot) throw new Error("token not found: " + p.C_GetSlotList(true).map((s) => JSON.stringify(p.C_GetTokenInfo(s).label)).join(", ") + " conf " + process.env.SOFTHSM2_CONF);
    const s = p.C_OpenSession(slot, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION); p.C_Login(s, P.CKU_USER, ${JSON.stringify(token.pin)});
    const id = Buffer.alloc(16);
    if (${JSON.stringify(action)} === 'create') {
      p.C_GenerateKey(s, { mechanism: P.CKM_AES_KEY_GEN }, [
        { type: P.CKA_CLASS, value: P.CKO_SECRET_KEY }, { type: P.CKA_KEY_TYPE, value: P.CKK_AES }, { type: P.CKA_VALUE_LEN, value: 32 },
        { type: P.CKA_TOKEN, value: true }, { type: P.CKA_PRIVATE, value: true }, { type: P.CKA_SENSITIVE, value: true },
        { type: P.CKA_ENCRYPT, value: true }, { type: P.CKA_DECRYPT, value: true },
        { type: P.CKA_LABEL, value: ${JSON.stringify(KEY)} }, { type: P.CKA_ID, value: id }]);
    } else {
      p.C_FindObjectsInit(s, [{ type: P.CKA_CLASS, value: P.CKO_SECRET_KEY }, { type: P.CKA_ID, value: id }]);
      const found = p.C_FindObjects(s, 10); p.C_FindObjectsFinal(s);
      if (found.length !== 1) throw new Error('expected one key to destroy, found ' + found.length);
      p.C_DestroyObject(s, found[0]);
    }
    p.C_Logout(s); p.C_CloseSession(s); p.C_Finalize();`;
  await run(process.execPath, ['-e', script], { env: { ...process.env, SOFTHSM2_CONF: process.env.SOFTHSM2_CONF } });
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

it('reads data sealed by another process under a key created after this one cached its own', async () => {
  const here = await open();
  expect(await here.ensureSecretKey(KEY)).toBe(true);
  const mine = await here.encrypt(KEY, bytes('sealed here'));
  expect(text(await here.decrypt(KEY, mine))).toBe('sealed here'); // the key's handle is now cached

  await otherProcess('create'); // two processes raced in ensureSecretKey: two keys under one label
  const other = await open(); // a process that starts now finds both and encrypts under the first by CKA_ID
  const theirs = await other.encrypt(KEY, bytes('sealed there'));
  await expect(here.decrypt(KEY, theirs).then(text)).resolves.toBe('sealed there');
  await expect(other.decrypt(KEY, mine).then(text)).resolves.toBe('sealed here');
  // A ciphertext no key opens is still refused, after the fresh look-up.
  const forged = new Uint8Array(theirs);
  forged[forged.length - 1]! ^= 1;
  await expect(here.decrypt(KEY, forged)).rejects.toThrow('ciphertext or associated data failed authentication');
});

it('drops a cached key that was destroyed underneath and goes on with the one left', async () => {
  const here = await open();
  const before = await here.encrypt(KEY, bytes('under the first key')); // caches both keys, encrypts under the zero-id one
  await otherProcess('destroy');
  // The cached handle is stale: the pool recovers (caches dropped), and the retry encrypts under the key that is left.
  const after = await here.encrypt(KEY, bytes('under the key left'));
  expect(text(await here.decrypt(KEY, after))).toBe('under the key left');
  await expect(here.decrypt(KEY, before)).rejects.toThrow('ciphertext or associated data failed authentication');
});
