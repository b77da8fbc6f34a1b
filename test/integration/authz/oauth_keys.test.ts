// Keys of the authorization server on the machine's PostgreSQL, sealed by a SAM on a real SoftHSM2 token (issue #14
// finding 7): generated once, the same after a restart (a second load), rotatable without losing the previous key,
// never in plaintext in the table, and refused when their row was changed or swapped. The database is this file's
// own, and so is the token (SOFTHSM2_CONF is read once per process): the first test runs before anything has made
// the SAM's wrap key, as on the first start after an upgrade.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, importJWK, createLocalJWKSet } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeys, rotateKeys } from '../../../authz/oauth/keys.ts';
import { createPool, migrate, type Db } from '../../../core/db.ts';
import { SamError, type SignatureActivation } from '../../../core/sam_port.ts';
import type { Hsm } from '../../../sam/hsm/hsm.ts';
import { openPkcs11Hsm } from '../../../sam/hsm/pkcs11/index.ts';
import { createSamOnHsm } from '../../../sam/assemble.ts';
import { ensureDevToken } from '../../../softhsm-config/dev_token.ts';
import { freshDatabase } from '../../db_fixtures.ts';

const LABEL = `authz-${randomUUID().slice(0, 8)}`;
let dataDir: string;
let hsm: Hsm;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let db: Db;
let sam: SignatureActivation;
const lines: string[] = [];
const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'authz-keys-it-'));
  const token = await ensureDevToken({ dataDir, label: LABEL });
  hsm = await openPkcs11Hsm({ module: token.module, tokenLabel: LABEL, pin: token.pin, sessions: 4 });
  database = await freshDatabase();
  db = createPool(database.url, 4);
  await migrate(db);
  sam = await createSamOnHsm({ db, hsm, log, config: { tokenLabel: LABEL, sessions: 4, sadLifetimeSeconds: 300, maxFailures: 5 } });
});

afterAll(async () => {
  await hsm?.close();
  await db?.end();
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

type Row = { kid: string; use: string; secret: unknown; sealed: string | null; scope: string | null; retired: boolean };
async function rows(): Promise<Row[]> {
  const { rows } = await db.query<Row>('SELECT kid, use, secret, sealed, scope, retired_at IS NOT NULL AS retired FROM authz.oauth_keys ORDER BY created_at, kid');
  return rows;
}

/** What an install before migration 004 wrote: the key as JSON in `secret`. */
async function plaintextRow(use: 'sig' | 'cookie'): Promise<{ kid: string; value: unknown }> {
  const kid = randomUUID();
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const value = use === 'sig' ? { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' } : 'c'.repeat(43);
  await db.query('INSERT INTO authz.oauth_keys (kid, use, secret) VALUES ($1, $2, $3)', [kid, use, JSON.stringify(value)]);
  return { kid, value };
}

async function refusal(p: Promise<unknown>): Promise<SamError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SamError);
  return err as SamError;
}

describe('authorization server keys sealed by the SAM', () => {
  it('seals the plaintext rows of an older install in place on the start that creates the wrap key, and keeps using them', async () => {
    const sig = await plaintextRow('sig');
    const cookie = await plaintextRow('cookie');
    const keys = await loadKeys(db, sam, log);
    expect(keys.jwks.keys).toEqual([sig.value]);
    expect(keys.cookieKeys).toEqual([cookie.value]);
    const after = await rows();
    expect(after).toHaveLength(2);
    for (const r of after) {
      expect(r.secret).toBeNull();
      expect(r.sealed).toMatch(/^v1\./);
      expect(r.scope).toEqual(expect.any(String));
    }
    expect(JSON.stringify(after)).not.toContain((sig.value as { d: string }).d);
    expect(JSON.stringify(after)).not.toContain(cookie.value as string);
    expect(lines.some((l) => l.includes('authz.oauth_keys.sealed'))).toBe(true);
  });

  it('never uses a plaintext row written after the keys were sealed: someone who can write the table cannot plant a key', async () => {
    const planted = await plaintextRow('sig');
    lines.length = 0;
    const keys = await loadKeys(db, sam, log);
    expect(keys.jwks.keys.map((k) => k.kid)).not.toContain(planted.kid);
    const row = (await rows()).find((r) => r.kid === planted.kid)!;
    expect(row.sealed).toBeNull(); // not sealed either: it stays what it is, and is reported
    expect(lines.some((l) => l.includes('authz.oauth_keys.plaintext'))).toBe(true);
    await db.query('DELETE FROM authz.oauth_keys WHERE kid = $1', [planted.kid]);
  });

  it('are created once, survive a restart, rotate with the old key kept, and hold no second first key under concurrency', async () => {
    await db.query('DELETE FROM authz.oauth_keys');
    const [a, b] = await Promise.all([loadKeys(db, sam, log), loadKeys(db, sam, log)]);
    expect(a.jwks.keys).toHaveLength(1);
    expect(b.jwks.keys).toEqual(a.jwks.keys);
    const first = a.jwks.keys[0]!;
    expect(first).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(typeof first.d).toBe('string');
    // The table holds neither the private value nor the cookie key: only what the SAM sealed.
    const stored = await rows();
    expect(stored.map((r) => r.secret)).toEqual([null, null]);
    expect(JSON.stringify(stored)).not.toContain(first.d as string);
    expect(JSON.stringify(stored)).not.toContain(a.cookieKeys[0]!);
    expect(JSON.stringify(stored)).not.toContain('"d"');

    const restarted = await loadKeys(db, sam, log);
    expect(restarted.jwks.keys[0]!.kid).toBe(first.kid);
    expect(restarted.cookieKeys[0]).toBe(a.cookieKeys[0]);

    // What the opened key signs verifies under its public half, the form oauth2/jwks publishes.
    const { d: _d, ...publicJwk } = first;
    const jwt = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256', kid: first.kid as string }).sign(await importJWK(first, 'ES256'));
    await expect(jwtVerify(jwt, createLocalJWKSet({ keys: [publicJwk] }))).resolves.toBeTruthy();

    const { kid } = await rotateKeys(db, sam);
    const rotated = await loadKeys(db, sam, log);
    expect(rotated.jwks.keys[0]!.kid).toBe(kid);
    expect(kid).not.toBe(first.kid);
    expect(rotated.jwks.keys.map((k) => k.kid)).toContain(first.kid);
    expect(rotated.cookieKeys[1]).toBe(a.cookieKeys[0]);
    expect((await rows()).every((r) => r.secret === null && r.sealed !== null)).toBe(true);

    await rotateKeys(db, sam);
    const twice = await loadKeys(db, sam, log);
    // At most two live keys of each kind: the oldest is retired.
    expect(twice.jwks.keys).toHaveLength(2);
    expect(twice.jwks.keys.map((k) => k.kid)).not.toContain(first.kid);
  });

  it('refuses to load when a sealed row had a byte flipped: SAM_AUTHZ_SECRET_INVALID, no key returned', async () => {
    const [row] = (await rows()).filter((r) => r.use === 'sig' && !r.retired);
    const body = Buffer.from(row!.sealed!.slice(3), 'base64url');
    body[body.length - 20]! ^= 0x01;
    await db.query('UPDATE authz.oauth_keys SET sealed = $2 WHERE kid = $1', [row!.kid, `v1.${body.toString('base64url')}`]);
    const err = await refusal(loadKeys(db, sam, log));
    expect(err.code).toBe('SAM_AUTHZ_SECRET_INVALID');
    // A security event in the audit trail, naming the row; an HSM fault would not be one.
    const audited = await db.query("SELECT result, error_code, detail FROM sam.audit WHERE event = 'integrity'");
    expect(audited.rows).toEqual([{ result: 'refused', error_code: 'SAM_AUTHZ_SECRET_INVALID', detail: expect.anything() }]);
    expect(JSON.parse(String(audited.rows[0].detail))).toEqual({ object: 'authz.oauth_keys', kid: row!.kid, use: 'sig' });
    await db.query('UPDATE authz.oauth_keys SET sealed = $2 WHERE kid = $1', [row!.kid, row!.sealed]);
    await expect(loadKeys(db, sam, log)).resolves.toBeTruthy();
  });

  it('refuses a blob moved from the cookie key row to the signing key row: it is bound to its own kid and use', async () => {
    const live = (await rows()).filter((r) => !r.retired);
    const sig = live.find((r) => r.use === 'sig')!;
    const cookie = live.find((r) => r.use === 'cookie')!;
    await db.query('UPDATE authz.oauth_keys SET sealed = $2 WHERE kid = $1', [sig.kid, cookie.sealed]);
    const err = await refusal(loadKeys(db, sam, log));
    expect(err.code).toBe('SAM_AUTHZ_SECRET_INVALID');
    expect(err.message).toBe('SAM_AUTHZ_SECRET_INVALID: CKR_ENCRYPTED_DATA_INVALID');
    // Nor does the previous signing key's blob open in the newer signing key's row: the kid is bound too.
    const [older, newer] = live.filter((r) => r.use === 'sig');
    await db.query('UPDATE authz.oauth_keys SET sealed = $2 WHERE kid = $1', [sig.kid, sig.sealed]);
    await db.query('UPDATE authz.oauth_keys SET sealed = $2 WHERE kid = $1', [newer!.kid, older!.sealed]);
    expect((await refusal(loadKeys(db, sam, log))).code).toBe('SAM_AUTHZ_SECRET_INVALID');
    await db.query('UPDATE authz.oauth_keys SET sealed = $2 WHERE kid = $1', [newer!.kid, newer!.sealed]);
    await expect(loadKeys(db, sam, log)).resolves.toBeTruthy();
  });

  it('does not open a blob whose text is not of the sealed form', async () => {
    const err = await refusal(sam.openAuthzSecret({ kid: randomUUID(), use: 'sig', sealed: '{"kty":"EC"}' }));
    expect(err.message).toBe('SAM_AUTHZ_SECRET_INVALID: not a sealed secret');
  });
});
