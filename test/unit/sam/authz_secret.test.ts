// The SAM's sealing of the authorization server's secrets (sam/app/authz_secret.ts) on the software Hsm: the wrap
// key made on the first seal and reported once, opening bound to the row, every refusal the same code.
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SamError } from '../../../core/sam_port.ts';
import { AUTHZ_SECRET_LABEL, authzSecrets } from '../../../sam/app/authz_secret.ts';
import type { SamKeys } from '../../../sam/app/sad/sam_keys.ts';
import { HsmError } from '../../../sam/hsm/hsm.ts';
import { createFakeHsm } from './fake_hsm.ts';

const keys = { sadKid: 'token-a' } as SamKeys;
const log = pino({ level: 'silent' });
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

async function code(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(SamError);
  return (err as SamError).message;
}

describe('authz secrets', () => {
  it('makes the wrap key on the first seal and says so to that call only; opening never makes it', async () => {
    const hsm = createFakeHsm();
    const s = authzSecrets({ hsm, keys, log });
    const kid = randomUUID();
    expect(await code(s.open({ kid, use: 'sig', sealed: 'v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }))).toBe('SAM_AUTHZ_SECRET_INVALID: CKR_KEY_HANDLE_INVALID');
    const [a, b] = await Promise.all([s.seal({ kid, use: 'sig', plaintext: bytes('one') }), s.seal({ kid, use: 'sig', plaintext: bytes('one') })]);
    expect([a.keyCreated, b.keyCreated].sort()).toEqual([false, true]);
    expect((await s.seal({ kid, use: 'sig', plaintext: bytes('one') })).keyCreated).toBe(false);
    expect(a.scope).toBe('token-a');
    // A fresh IV each time: the same plaintext never seals to the same text.
    expect(a.sealed).not.toBe(b.sealed);
    // A SAM restarted on a token that has the key: not created again.
    expect((await authzSecrets({ hsm, keys, log }).seal({ kid, use: 'sig', plaintext: bytes('x') })).keyCreated).toBe(false);
    expect(await hsm.ensureSecretKey(AUTHZ_SECRET_LABEL)).toBe(false);
  });

  it('opens what it sealed for the same row, and nothing else', async () => {
    const s = authzSecrets({ hsm: createFakeHsm(), keys, log });
    const kid = randomUUID();
    const { sealed } = await s.seal({ kid, use: 'cookie', plaintext: bytes('"secret"') });
    expect(Buffer.from((await s.open({ kid, use: 'cookie', sealed })).plaintext).toString()).toBe('"secret"');
    expect(await code(s.open({ kid, use: 'sig', sealed }))).toBe('SAM_AUTHZ_SECRET_INVALID: CKR_ENCRYPTED_DATA_INVALID');
    expect(await code(s.open({ kid: randomUUID(), use: 'cookie', sealed }))).toBe('SAM_AUTHZ_SECRET_INVALID: CKR_ENCRYPTED_DATA_INVALID');
    expect(await code(s.open({ kid, use: 'cookie', sealed: sealed.slice(0, -2) + (sealed.endsWith('A') ? 'B' : 'A') + sealed.slice(-1) }))).toMatch(/^SAM_AUTHZ_SECRET_INVALID/);
    expect(await code(s.open({ kid, use: 'cookie', sealed: `${sealed}!` }))).toBe('SAM_AUTHZ_SECRET_INVALID: not a sealed secret');
    expect(await code(s.open({ kid, use: 'cookie', sealed: sealed.slice(3) }))).toBe('SAM_AUTHZ_SECRET_INVALID: not a sealed secret');
  });

  it('keeps an HSM fault apart from a blob that does not open', async () => {
    const hsm = createFakeHsm();
    const s = authzSecrets({ hsm, keys, log });
    const kid = randomUUID();
    const { sealed } = await s.seal({ kid, use: 'sig', plaintext: bytes('k') });
    hsm.before = (op) => {
      if (op === 'decrypt') throw new HsmError('CKR_DEVICE_REMOVED');
    };
    expect(await code(s.open({ kid, use: 'sig', sealed }))).toBe('SAM_HSM_UNAVAILABLE: CKR_DEVICE_REMOVED');
  });
});
