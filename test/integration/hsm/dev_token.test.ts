// The development token of softhsm-config/ and how openPkcs11Hsm fails when pointed at the wrong place.
// A file of its own: SOFTHSM2_CONF is fixed per process once SoftHSM is initialised.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HsmError } from '../../../sam/hsm/hsm.ts';
import { openPkcs11Hsm } from '../../../sam/hsm/pkcs11/index.ts';
import { ensureDevToken } from '../../../softhsm-config/dev_token.ts';

const LABEL = `dev-${Math.random().toString(36).slice(2, 10)}`;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dev-token-test-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function hsmError(p: Promise<unknown>): Promise<HsmError> {
  const err = await p.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HsmError);
  return err as HsmError;
}

describe('ensureDevToken', () => {
  it('writes the configuration, generates private PIN files and creates a usable token', async () => {
    const { module, pin } = await ensureDevToken({ dataDir, label: LABEL });
    const dir = path.join(dataDir, 'softhsm');
    expect(process.env.SOFTHSM2_CONF).toBe(path.join(dir, 'softhsm2.conf'));
    const conf = await readFile(path.join(dir, 'softhsm2.conf'), 'utf8');
    expect(conf).toContain(`directories.tokendir = ${path.join(dir, 'tokens')}\n`);
    expect(conf).toContain('objectstore.backend = file\n');
    expect(conf).toContain('log.level = ERROR\n');
    for (const f of ['user-pin', 'so-pin']) expect((await stat(path.join(dir, f))).mode & 0o777).toBe(0o600);
    expect((await readFile(path.join(dir, 'user-pin'), 'utf8')).trim()).toBe(pin);
    expect(pin).not.toBe((await readFile(path.join(dir, 'so-pin'), 'utf8')).trim());
    expect(pin.length).toBeGreaterThanOrEqual(24);

    const hsm = await openPkcs11Hsm({ module, tokenLabel: LABEL, pin, sessions: 2 });
    try {
      const k = await hsm.generateKeyPair({ algo: 'EC-P256', label: 'persisted' });
      const m = Buffer.from('dev token');
      const sig = await hsm.signDigest(k.keyId, { kind: 'ecdsa' }, createHash('sha256').update(m).digest());
      expect(verify('sha256', m, createPublicKey({ key: Buffer.from(k.spki), format: 'der', type: 'spki' }), sig)).toBe(true);
    } finally {
      await hsm.close();
    }
  });

  it('is idempotent: same PIN, same token, keys still there after a restart', async () => {
    const first = await readFile(path.join(dataDir, 'softhsm', 'user-pin'), 'utf8');
    const again = await ensureDevToken({ dataDir, label: LABEL });
    expect(again.pin).toBe(first.trim());
    const hsm = await openPkcs11Hsm({ module: again.module, tokenLabel: LABEL, pin: again.pin, sessions: 1 });
    try {
      expect(await hsm.findKeyPair('persisted')).not.toBeNull();
    } finally {
      await hsm.close();
    }
  });

  it('adds a second token with another label in the same directory', async () => {
    const other = `${LABEL}-b`;
    const { module, pin } = await ensureDevToken({ dataDir, label: other });
    const hsm = await openPkcs11Hsm({ module, tokenLabel: other, pin, sessions: 1 });
    try {
      // Tokens do not share objects.
      expect(await hsm.findKeyPair('persisted')).toBeNull();
    } finally {
      await hsm.close();
    }
  });

  it('refuses to pair an existing token with a newly generated PIN', async () => {
    const pinFile = path.join(dataDir, 'softhsm', 'user-pin');
    const saved = await readFile(pinFile, 'utf8');
    await unlink(pinFile);
    await expect(ensureDevToken({ dataDir, label: LABEL })).rejects.toThrow(
      `token "${LABEL}" exists in ${path.join(dataDir, 'softhsm', 'tokens')} but its PIN file was missing`,
    );
    await writeFile(pinFile, saved, { mode: 0o600 });
  });

  it('names a module path that does not exist', async () => {
    await expect(ensureDevToken({ dataDir, label: LABEL, module: '/nonexistent/libsofthsm2.so' })).rejects.toThrow(
      'PKCS#11 module not found: /nonexistent/libsofthsm2.so',
    );
  });

  it('refuses another data directory once SoftHSM is initialised in this process', async () => {
    const { module, pin } = await ensureDevToken({ dataDir, label: LABEL });
    const hsm = await openPkcs11Hsm({ module, tokenLabel: LABEL, pin, sessions: 1 });
    try {
      const otherDir = await mkdtemp(path.join(tmpdir(), 'dev-token-other-'));
      try {
        const err = await hsmError(ensureDevToken({ dataDir: otherDir, label: LABEL }));
        expect(err.ckr).toBe('CKR_CRYPTOKI_ALREADY_INITIALIZED');
        expect(err.message).toContain('cannot change within a process');
      } finally {
        process.env.SOFTHSM2_CONF = path.join(dataDir, 'softhsm', 'softhsm2.conf');
        await rm(otherDir, { recursive: true, force: true });
      }
    } finally {
      await hsm.close();
    }
  });
});

describe('openPkcs11Hsm failures', () => {
  it('names the token label when it is absent', async () => {
    const { module, pin } = await ensureDevToken({ dataDir, label: LABEL });
    const err = await hsmError(openPkcs11Hsm({ module, tokenLabel: 'no-such-token', pin, sessions: 1 }));
    expect(err.ckr).toBe('CKR_TOKEN_NOT_PRESENT');
    expect(err.message).toBe(`CKR_TOKEN_NOT_PRESENT: no token labelled "no-such-token" in ${module}`);
  });

  it('fails at open with CKR_PIN_INCORRECT and no PIN in the message', async () => {
    const { module } = await ensureDevToken({ dataDir, label: LABEL });
    const err = await hsmError(openPkcs11Hsm({ module, tokenLabel: LABEL, pin: 'wrong-pin-1234', sessions: 2 }));
    expect(err.ckr).toBe('CKR_PIN_INCORRECT');
    expect(err.message).toBe('CKR_PIN_INCORRECT');
  });

  it('fails with a clear error for a library that does not exist', async () => {
    const err = await hsmError(openPkcs11Hsm({ module: '/nonexistent/libpkcs11.so', tokenLabel: LABEL, pin: 'x', sessions: 1 }));
    expect(err.message).toMatch(/^CKR_GENERAL_ERROR: cannot load PKCS#11 module \/nonexistent\/libpkcs11\.so/);
  });

  it('two handles on one token share the module; closing one leaves the other working, closed refuses', async () => {
    const { module, pin } = await ensureDevToken({ dataDir, label: LABEL });
    const a = await openPkcs11Hsm({ module, tokenLabel: LABEL, pin, sessions: 1 });
    const b = await openPkcs11Hsm({ module, tokenLabel: LABEL, pin, sessions: 1 });
    await a.close();
    await a.close(); // idempotent
    expect((await b.findKeyPair('persisted'))?.keyId).toMatch(/^[0-9a-f]{32}$/);
    await b.close();
    const err = await hsmError(b.findKeyPair('persisted'));
    expect(err.ckr).toBe('CKR_CRYPTOKI_NOT_INITIALIZED');
  });
});
