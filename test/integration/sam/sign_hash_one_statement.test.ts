// signHash's one-statement path (sam/app/sign_hash.ts freshConsumption, sam/store/sign_state.ts): the first use of a
// SAD, for a credential the SAM read moments ago, is read, consumed and audited by one query; anything else takes
// the read and the consumption apart, as before. What each path leaves behind is checked in the database.
import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../core/db.ts';
import { auditRows, authorize, ctx, digest, ECDSA_SHA256, expectRefusal, jtiOf, newSigner, setup, stage, type Env, type Signer } from './helpers.ts';

let env: Env;
beforeAll(async () => {
  env = await setup();
});
afterAll(async () => env.close());

/** Runs `fn` counting the queries sent through the pool (the SAM's one-statement reads and consumptions use it). */
async function countingQueries<T>(db: Db, fn: () => Promise<T>): Promise<{ result: T; queries: number }> {
  const original = db.query.bind(db);
  let queries = 0;
  (db as { query: unknown }).query = (...args: unknown[]) => {
    queries++;
    return (original as (...a: unknown[]) => unknown)(...args);
  };
  try {
    return { result: await fn(), queries };
  } finally {
    (db as { query: unknown }).query = original;
  }
}

const sign = (s: Signer, sad: string, hashes: Uint8Array[], c = ctx()) =>
  env.sam.signHash({ ctx: c, sad, userId: s.userId, clientId: 'client-a', credentialID: s.credentialID, hashes, signAlgo: ECDSA_SHA256 });

async function sadRow(sad: string): Promise<{ used: number; hashes: Buffer[] | null }> {
  const { rows } = await env.db.query('SELECT used, hashes FROM sam.sads WHERE jti = $1', [jtiOf(sad)]);
  return rows[0];
}

const key = (s: Signer) => createPublicKey({ key: Buffer.from(s.publicKeySpki), format: 'der', type: 'spki' });

describe('signHash in one statement', () => {
  it('signs a first use of every authorized hash with one query: the SAD spent, its ok audit row written', async () => {
    const s = await newSigner(env);
    const hashes = [digest('a'), digest('b')];
    const sad = await authorize(env, s, hashes);
    const c = ctx();
    const { result, queries } = await countingQueries(env.db, () => sign(s, sad, hashes, c));
    expect(queries).toBe(1);
    expect(verify('sha256', Buffer.from('a'), key(s), result.signatures[0]!)).toBe(true);
    expect(verify('sha256', Buffer.from('b'), key(s), result.signatures[1]!)).toBe(true);
    expect(await sadRow(sad)).toEqual({ used: 2, hashes: [] });
    expect(await auditRows(env.db, { requestId: c.requestId })).toEqual([
      expect.objectContaining({ event: 'sign', result: 'ok', hash_alg: '2.16.840.1.101.3.4.2.1', sad_jti: jtiOf(sad), num_signatures: 2 }),
    ]);
    // Spent: the same SAD again is refused by the ordinary path.
    await expectRefusal(env, 'SAM_SAD_EXHAUSTED', (c2) => sign(s, sad, hashes, c2));
  });

  it('a part of the authorized hashes takes the read and the consumption apart, and what is left stays signable', async () => {
    const s = await newSigner(env);
    const hashes = [digest('c'), digest('d')];
    const sad = await authorize(env, s, hashes);
    const first = await countingQueries(env.db, () => sign(s, sad, [hashes[1]!]));
    expect(first.queries).toBe(2);
    expect(await sadRow(sad)).toEqual({ used: 1, hashes: [Buffer.from(hashes[0]!)] });
    const second = await countingQueries(env.db, () => sign(s, sad, [hashes[0]!]));
    expect(second.queries).toBe(2);
    expect(verify('sha256', Buffer.from('c'), key(s), second.result.signatures[0]!)).toBe(true);
    expect(await sadRow(sad)).toEqual({ used: 2, hashes: [] });
  });

  it('a credential disabled since the SAM saw it consumes nothing: SAM_CREDENTIAL_DISABLED, the SAD unspent', async () => {
    const s = await newSigner(env);
    const hashes = [digest('e')];
    const sad = await authorize(env, s, hashes);
    await stage(env, s.credentialID, 'UPDATE sam.credentials SET enabled = false WHERE credential_id = $1');
    await expectRefusal(env, 'SAM_CREDENTIAL_DISABLED', (c) => sign(s, sad, hashes, c));
    expect(await sadRow(sad)).toEqual({ used: 0, hashes: [Buffer.from(hashes[0]!)] });
  });

  it('a row rewritten under its old seal (owner swapped) is caught after the statement: no signature, the SAD stays spent', async () => {
    const s = await newSigner(env);
    const other = await newSigner(env);
    const hashes = [digest('f')];
    const sad = await authorize(env, s, hashes);
    await env.db.query('UPDATE sam.credentials SET owner_id = $2 WHERE credential_id = $1', [s.credentialID, other.userId]);
    const c = ctx();
    await expect(sign(s, sad, hashes, c)).rejects.toMatchObject({ code: 'SAM_CREDENTIAL_TAMPERED' });
    // Fail closed: the one statement had consumed the SAD before its rows were checked, and it stays consumed; the
    // consumption's row is followed by the refusal's.
    expect((await sadRow(sad)).used).toBe(1);
    expect((await auditRows(env.db, { requestId: c.requestId })).map((r) => [r.result, r.error_code])).toEqual([
      ['ok', null],
      ['refused', 'SAM_CREDENTIAL_TAMPERED'],
    ]);
  });
});
