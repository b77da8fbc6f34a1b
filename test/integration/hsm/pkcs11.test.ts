// The PKCS#11 backend against a real SoftHSM2 token created for this file (its own SOFTHSM2_CONF: vitest runs
// each file in its own process, and SoftHSM reads the configuration once per process).
import { createHash, createPublicKey, verify, constants, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyAlgo } from '../../../core/sam_port.ts';
import { HsmError, type Hsm, type KeyPairInfo } from '../../../sam/hsm/hsm.ts';
import { openPkcs11Hsm } from '../../../sam/hsm/pkcs11/index.ts';
import { dropAllSessions, readPrivateValue } from '../../../sam/hsm/pkcs11/test_hooks.ts';
import { ensureDevToken } from '../../../softhsm-config/dev_token.ts';

const LABEL = `t-${Math.random().toString(36).slice(2, 10)}`;
let dataDir: string;
let pin: string;
let hsm: Hsm;
const logLines: string[] = [];
const log = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
const keys = {} as Record<KeyAlgo, KeyPairInfo>;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'pkcs11-test-'));
  const token = await ensureDevToken({ dataDir, label: LABEL });
  pin = token.pin;
  hsm = await openPkcs11Hsm({ module: token.module, tokenLabel: LABEL, pin, sessions: 4, log });
  for (const algo of ['EC-P256', 'EC-P384', 'RSA-2048', 'RSA-3072'] as const) {
    keys[algo] = await hsm.generateKeyPair({ algo, label: `${algo}-key` });
  }
});

afterAll(async () => {
  await hsm?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const spkiKey = (k: KeyPairInfo): KeyObject => createPublicKey({ key: Buffer.from(k.spki), format: 'der', type: 'spki' });
const message = (s: string) => Buffer.from(`document ${s}`);
const sha = (alg: 'sha256' | 'sha384' | 'sha512', m: Buffer) => createHash(alg).update(m).digest();

async function hsmError(p: Promise<unknown>): Promise<HsmError> {
  const err = await p.then(
    () => {
      throw new Error('expected an HsmError');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HsmError);
  return err as HsmError;
}

describe('key generation', () => {
  it('returns SubjectPublicKeyInfo of the requested type and size', () => {
    expect(spkiKey(keys['EC-P256']).asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
    expect(spkiKey(keys['EC-P384']).asymmetricKeyDetails).toEqual({ namedCurve: 'secp384r1' });
    expect(spkiKey(keys['RSA-2048']).asymmetricKeyDetails).toMatchObject({ modulusLength: 2048, publicExponent: 65537n });
    expect(spkiKey(keys['RSA-3072']).asymmetricKeyDetails).toMatchObject({ modulusLength: 3072, publicExponent: 65537n });
    for (const k of Object.values(keys)) expect(k.keyId).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(Object.values(keys).map((k) => k.keyId)).size).toBe(4);
  });

  it('finds a key pair by label with the same id and public key, and null for an unknown label', async () => {
    const found = await hsm.findKeyPair('EC-P384-key');
    expect(found?.keyId).toBe(keys['EC-P384'].keyId);
    expect(Buffer.from(found!.spki).equals(Buffer.from(keys['EC-P384'].spki))).toBe(true);
    expect(await hsm.findKeyPair('no-such-label')).toBeNull();
  });

  it('never reveals a private key: CKR_ATTRIBUTE_SENSITIVE for EC and RSA', async () => {
    for (const algo of ['EC-P256', 'RSA-2048'] as const) {
      const err = await hsmError(readPrivateValue(hsm, keys[algo].keyId));
      expect(err.ckr).toBe('CKR_ATTRIBUTE_SENSITIVE');
    }
  });
});

describe('ECDSA', () => {
  for (const [algo, node] of [
    ['EC-P256', 'sha256'],
    ['EC-P256', 'sha384'],
    ['EC-P384', 'sha384'],
    ['EC-P384', 'sha256'],
  ] as const) {
    it(`${algo} signs a ${node} digest as DER that Node verifies over the message`, async () => {
      const m = message(`${algo} ${node}`);
      const sig = await hsm.signDigest(keys[algo].keyId, { kind: 'ecdsa' }, sha(node, m));
      expect(sig[0]).toBe(0x30); // DER SEQUENCE, not raw r||s
      expect(verify(node, m, spkiKey(keys[algo]), sig)).toBe(true);
      expect(verify(node, message('other'), spkiKey(keys[algo]), sig)).toBe(false);
    });
  }

  it('verifyDigest accepts its own signature and refuses another digest or a damaged signature', async () => {
    const k = keys['EC-P256'].keyId;
    const d = sha('sha256', message('v'));
    const sig = await hsm.signDigest(k, { kind: 'ecdsa' }, d);
    expect(await hsm.verifyDigest(k, { kind: 'ecdsa' }, d, sig)).toBe(true);
    expect(await hsm.verifyDigest(k, { kind: 'ecdsa' }, sha('sha256', message('w')), sig)).toBe(false);
    const damaged = Uint8Array.from(sig);
    damaged[damaged.length - 1]! ^= 0x01;
    expect(await hsm.verifyDigest(k, { kind: 'ecdsa' }, d, damaged)).toBe(false);
    expect(await hsm.verifyDigest(k, { kind: 'ecdsa' }, d, Uint8Array.of(0x30, 0x00))).toBe(false);
  });

  it('refuses a digest that is no SHA-2 length before touching the key', async () => {
    const err = await hsmError(hsm.signDigest(keys['EC-P256'].keyId, { kind: 'ecdsa' }, new Uint8Array(20)));
    expect(err.ckr).toBe('CKR_DATA_LEN_RANGE');
  });

  it('refuses an RSA scheme on an EC key', async () => {
    const err = await hsmError(
      hsm.signDigest(keys['EC-P256'].keyId, { kind: 'rsa-pkcs1', hash: 'SHA-256' }, sha('sha256', message('x'))),
    );
    expect(err.ckr).toBe('CKR_KEY_TYPE_INCONSISTENT');
  });
});

describe('RSA PKCS#1 v1.5', () => {
  for (const [algo, hash, node] of [
    ['RSA-2048', 'SHA-256', 'sha256'],
    ['RSA-2048', 'SHA-384', 'sha384'],
    ['RSA-3072', 'SHA-256', 'sha256'],
    ['RSA-3072', 'SHA-512', 'sha512'],
  ] as const) {
    it(`${algo} signs the DigestInfo of a ${hash} digest; Node verifies over the message`, async () => {
      const m = message(`${algo} ${hash}`);
      const sig = await hsm.signDigest(keys[algo].keyId, { kind: 'rsa-pkcs1', hash }, sha(node, m));
      expect(sig.length).toBe(algo === 'RSA-2048' ? 256 : 384);
      expect(verify(node, m, spkiKey(keys[algo]), sig)).toBe(true);
      expect(await hsm.verifyDigest(keys[algo].keyId, { kind: 'rsa-pkcs1', hash }, sha(node, m), sig)).toBe(true);
      expect(await hsm.verifyDigest(keys[algo].keyId, { kind: 'rsa-pkcs1', hash }, sha(node, message('no')), sig)).toBe(false);
    });
  }

  it('refuses a digest whose length does not match the hash', async () => {
    const err = await hsmError(
      hsm.signDigest(keys['RSA-2048'].keyId, { kind: 'rsa-pkcs1', hash: 'SHA-384' }, sha('sha256', message('x'))),
    );
    expect(err.ckr).toBe('CKR_DATA_LEN_RANGE');
    expect(err.message).toBe('CKR_DATA_LEN_RANGE: a SHA-384 digest has 48 bytes, got 32');
  });

  it('verifyDigest returns false for a signature of the wrong length', async () => {
    const d = sha('sha256', message('len'));
    expect(await hsm.verifyDigest(keys['RSA-2048'].keyId, { kind: 'rsa-pkcs1', hash: 'SHA-256' }, d, new Uint8Array(10))).toBe(false);
  });
});

describe('RSASSA-PSS', () => {
  for (const [algo, hash, node] of [
    ['RSA-2048', 'SHA-256', 'sha256'],
    ['RSA-3072', 'SHA-384', 'sha384'],
  ] as const) {
    it(`${algo} with ${hash}, MGF1-${hash}, salt 32 verifies in Node`, async () => {
      const m = message(`pss ${algo}`);
      const scheme = { kind: 'rsa-pss', hash, mgfHash: hash, saltLength: 32 } as const;
      const sig = await hsm.signDigest(keys[algo].keyId, scheme, sha(node, m));
      const key = { key: spkiKey(keys[algo]), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
      expect(verify(node, m, key, sig)).toBe(true);
      // Salt length is part of what is verified: the same signature fails with another one.
      expect(verify(node, m, { ...key, saltLength: 20 }, sig)).toBe(false);
      expect(await hsm.verifyDigest(keys[algo].keyId, scheme, sha(node, m), sig)).toBe(true);
      expect(await hsm.verifyDigest(keys[algo].keyId, { ...scheme, saltLength: 20 }, sha(node, m), sig)).toBe(false);
    });
  }

  it('refuses a digest whose length does not match the hash', async () => {
    const scheme = { kind: 'rsa-pss', hash: 'SHA-256', mgfHash: 'SHA-256', saltLength: 32 } as const;
    const err = await hsmError(hsm.signDigest(keys['RSA-2048'].keyId, scheme, new Uint8Array(31)));
    expect(err.ckr).toBe('CKR_DATA_LEN_RANGE');
  });
});

describe('AES-GCM under a token-held key', () => {
  const label = 'otp-seed-key';

  it('round-trips with and without associated data; the output carries IV and tag', async () => {
    await hsm.ensureSecretKey(label);
    await hsm.ensureSecretKey(label); // idempotent
    const pt = Buffer.from('JBSWY3DPEHPK3PXP');
    const aad = Buffer.from('user-42');
    const ct = await hsm.encrypt(label, pt, aad);
    expect(ct.length).toBe(12 + pt.length + 16);
    expect(Buffer.from(await hsm.decrypt(label, ct, aad)).equals(pt)).toBe(true);
    const ct2 = await hsm.encrypt(label, pt);
    expect(Buffer.from(ct2.subarray(0, 12)).equals(Buffer.from(ct.subarray(0, 12)))).toBe(false); // fresh IV
    expect(Buffer.from(await hsm.decrypt(label, ct2)).equals(pt)).toBe(true);
  });

  it('refuses tampered ciphertext, a tampered IV and the wrong associated data', async () => {
    const ct = await hsm.encrypt(label, Buffer.from('secret seed'), Buffer.from('user-1'));
    for (const i of [0, 12, ct.length - 1]) {
      const bad = Uint8Array.from(ct);
      bad[i]! ^= 0x80;
      const err = await hsmError(hsm.decrypt(label, bad, Buffer.from('user-1')));
      expect(err.ckr).toBe('CKR_ENCRYPTED_DATA_INVALID');
    }
    expect((await hsmError(hsm.decrypt(label, ct, Buffer.from('user-2')))).ckr).toBe('CKR_ENCRYPTED_DATA_INVALID');
    expect((await hsmError(hsm.decrypt(label, ct))).ckr).toBe('CKR_ENCRYPTED_DATA_INVALID');
    expect((await hsmError(hsm.decrypt(label, ct.subarray(0, 20)))).ckr).toBe('CKR_ENCRYPTED_DATA_LEN_RANGE');
    // The sessions that saw the failures are still usable.
    for (let i = 0; i < 8; i++) {
      expect(Buffer.from(await hsm.decrypt(label, ct, Buffer.from('user-1'))).toString()).toBe('secret seed');
    }
  });

  it('fails with the label named when no such key exists', async () => {
    const err = await hsmError(hsm.encrypt('missing-key', Buffer.from('x')));
    expect(err.ckr).toBe('CKR_KEY_HANDLE_INVALID');
    expect(err.message).toContain('"missing-key"');
  });
});

describe('session pool', () => {
  it('50 parallel signatures on 4 sessions all succeed and verify', async () => {
    const k = keys['EC-P256'];
    const jobs = Array.from({ length: 50 }, async (_, i) => {
      const m = message(`parallel ${i}`);
      const algo = i % 2 ? keys['RSA-2048'] : k;
      const scheme = i % 2 ? ({ kind: 'rsa-pkcs1', hash: 'SHA-256' } as const) : ({ kind: 'ecdsa' } as const);
      const sig = await hsm.signDigest(algo.keyId, scheme, sha('sha256', m));
      return verify('sha256', m, spkiKey(algo), sig);
    });
    expect(await Promise.all(jobs)).toEqual(Array(50).fill(true));
  });

  it('recovers when every session (and the login) is closed underneath', async () => {
    const before = logLines.length;
    dropAllSessions(hsm);
    const m = message('after drop');
    const jobs = Array.from({ length: 8 }, () => hsm.signDigest(keys['EC-P384'].keyId, { kind: 'ecdsa' }, sha('sha384', m)));
    for (const sig of await Promise.all(jobs)) expect(verify('sha384', m, spkiKey(keys['EC-P384']), sig)).toBe(true);
    // Lookups and secret keys work again too.
    expect((await hsm.findKeyPair('RSA-3072-key'))?.keyId).toBe(keys['RSA-3072'].keyId);
    const ct = await hsm.encrypt('otp-seed-key', Buffer.from('again'));
    expect(Buffer.from(await hsm.decrypt('otp-seed-key', ct)).toString()).toBe('again');
    // Each of the 4 pooled sessions was found dead once and replaced.
    const recoveries = logLines.slice(before).map((l) => JSON.parse(l) as { ckr?: string; recovery?: string });
    expect(recoveries.filter((r) => r.ckr === 'CKR_SESSION_HANDLE_INVALID' && r.recovery === 'reopen-session')).toHaveLength(4);
  });

  it('never writes the PIN to the log', () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toContain(pin);
  });

  it('reports an unknown key id without retrying forever', async () => {
    const err = await hsmError(hsm.signDigest('00'.repeat(16), { kind: 'ecdsa' }, new Uint8Array(32)));
    expect(err.ckr).toBe('CKR_KEY_HANDLE_INVALID');
    expect((await hsmError(hsm.signDigest('not-hex', { kind: 'ecdsa' }, new Uint8Array(32)))).ckr).toBe('CKR_ARGUMENTS_BAD');
  });
});
