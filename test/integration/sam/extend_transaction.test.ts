// credentials/extendTransaction in the SAM (CSC v2 §11.9) with an injected clock: the new SAD outlives the old
// one, stays bound to the same credential, client and remaining hashes, supersedes the old SAD, and is bounded
// by the transaction limit. Signatures are verified under the credential's key.
import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRows, authorize, ctx, digest, ECDSA_SHA256, expectRefusal, jtiOf, newSigner, setup, SHA256, type Env, type Signer } from './helpers.ts';

let env: Env;
beforeAll(async () => {
  env = await setup({ sadLifetimeSeconds: 300, sadMaxTransactionSeconds: 900 });
});
afterAll(async () => env.close());

type ExtendCmd = Parameters<Env['sam']['extendTransaction']>[0];

function extend(s: Signer, sad: string, c: ReturnType<typeof ctx>, o: Partial<ExtendCmd> = {}) {
  return env.sam.extendTransaction({
    ctx: c,
    sad,
    userId: s.userId,
    clientId: 'client-a',
    credentialID: s.credentialID,
    hashes: [digest('a')],
    hashAlgorithmOID: SHA256,
    ...o,
  });
}

function sign(s: Signer, sad: string, hashes: Uint8Array[], c = ctx()) {
  return env.sam.signHash({ ctx: c, sad, userId: s.userId, clientId: 'client-a', credentialID: s.credentialID, hashes, signAlgo: ECDSA_SHA256 });
}

const claimsOf = (sad: string) => JSON.parse(Buffer.from(sad.split('.')[1]!, 'base64url').toString());

describe('extendTransaction', () => {
  it('mints a later SAD for the remaining hashes; it signs them after the first would have expired, and nothing else', async () => {
    const s = await newSigner(env);
    const [a, b] = [digest('a'), digest('b')];
    const sad = await authorize(env, s, [a, b]);
    await sign(s, sad, [a]);
    env.clock.advance(200);
    const c = ctx();
    const ext = await extend(s, sad, c, { hashes: [b] });
    expect(ext.expiresIn).toBe(300);
    const before = claimsOf(sad);
    const after = claimsOf(ext.sad);
    expect(after).toMatchObject({ sub: before.sub, cid: before.cid, azp: before.azp, hashAlg: SHA256, n: 1, amr: ['pwd', 'otp'] });
    expect(after.jti).not.toBe(before.jti);
    expect(after.exp).toBeGreaterThan(before.exp);
    expect((await auditRows(env.db, { requestId: c.requestId })).map((r) => [r.event, r.result, r.sad_jti])).toEqual([['extend', 'ok', after.jti]]);

    env.clock.advance(150); // the first SAD's 300 s are over
    await expectRefusal(env, 'SAM_HASH_NOT_AUTHORIZED', (c2) => sign(s, ext.sad, [a], c2));
    await expectRefusal(env, 'SAM_HASH_NOT_AUTHORIZED', (c2) => sign(s, ext.sad, [digest('other')], c2));
    const { signatures } = await sign(s, ext.sad, [b]);
    const key = createPublicKey({ key: Buffer.from(s.publicKeySpki), format: 'der', type: 'spki' });
    // Node hashes 'b' with SHA-256 (the default for EC keys): the digest that was signed.
    expect(verify(null, Buffer.from('b'), key, Buffer.from(signatures[0]!))).toBe(true);
    await expectRefusal(env, 'SAM_SAD_EXHAUSTED', (c2) => sign(s, ext.sad, [b], c2));
  });

  it('supersedes the old SAD: it can no longer sign or be extended again', async () => {
    const s = await newSigner(env);
    const [a, b] = [digest('a'), digest('b')];
    const sad = await authorize(env, s, [a, b]);
    await extend(s, sad, ctx(), { hashes: [a] });
    await expectRefusal(env, 'SAM_SAD_REVOKED', (c) => sign(s, sad, [a], c));
    await expectRefusal(env, 'SAM_SAD_REVOKED', (c) => extend(s, sad, c));
    const { rows } = await env.db.query<{ parent_jti: string | null }>('SELECT parent_jti FROM sam.sads WHERE parent_jti = $1', [jtiOf(sad)]);
    expect(rows).toHaveLength(1);
  });

  it('refuses hashes the SAD never covered, a missing hash list at SCAL 2, and another hash algorithm', async () => {
    const s = await newSigner(env);
    const sad = await authorize(env, s, [digest('a')]);
    await expectRefusal(env, 'SAM_HASH_NOT_AUTHORIZED', (c) => extend(s, sad, c, { hashes: [digest('new content')] }));
    await expectRefusal(env, 'SAM_HASHES_REQUIRED', (c) => extend(s, sad, c, { hashes: undefined }));
    await expectRefusal(env, 'SAM_HASH_ALG_MISMATCH', (c) =>
      extend(s, sad, c, { hashes: [digest('a', 'sha384')], hashAlgorithmOID: '2.16.840.1.101.3.4.2.2' }),
    );
    // Still usable after the refusals.
    await expect(extend(s, sad, ctx())).resolves.toMatchObject({ expiresIn: 300 });
  });

  it('is bound to the same client, signer and credential', async () => {
    const s = await newSigner(env);
    const other = await newSigner(env);
    const sad = await authorize(env, s, [digest('a')]);
    await expectRefusal(env, 'SAM_WRONG_CLIENT', (c) => extend(s, sad, c, { clientId: 'client-b' }));
    await expectRefusal(env, 'SAM_SAD_WRONG_CREDENTIAL', (c) => extend(s, sad, c, { credentialID: other.credentialID }));
    await expectRefusal(env, 'SAM_NOT_OWNER', (c) => extend(s, sad, c, { userId: other.userId }));
  });

  it('refuses an expired SAD, a spent one, and a forged one', async () => {
    const s = await newSigner(env);
    const a = digest('a');
    const sad = await authorize(env, s, [a]);
    await sign(s, sad, [a]);
    await expectRefusal(env, 'SAM_SAD_EXHAUSTED', (c) => extend(s, sad, c));
    const fresh = await authorize(env, s, [a]);
    env.clock.advance(301);
    await expectRefusal(env, 'SAM_SAD_EXPIRED', (c) => extend(s, fresh, c));
    const [h, p] = fresh.split('.');
    await expectRefusal(env, 'SAM_SAD_INVALID', (c) => extend(s, `${h}.${p}.AAAA`, c));
  });

  it('never extends a transaction beyond its limit from the first authorization', async () => {
    const s = await newSigner(env);
    const a = digest('a');
    let sad = await authorize(env, s, [a]);
    const start = claimsOf(sad).iat;
    for (let i = 0; i < 2; i++) {
      env.clock.advance(290);
      sad = (await extend(s, sad, ctx())).sad;
    }
    env.clock.advance(290); // 870 s into a 900 s transaction: the last SAD ends at the limit
    const last = await extend(s, sad, ctx());
    expect(last.expiresIn).toBe(30);
    expect(claimsOf(last.sad).exp).toBe(start + 900);
    env.clock.advance(10);
    await expectRefusal(env, 'SAM_SAD_EXTENSION_LIMIT', (c) => extend(s, last.sad, c));
  });

  it('extends a count-only SCAL 1 SAD to the remaining count', async () => {
    const s = await newSigner(env, { scal: '1' });
    const sad = await authorize(env, s, undefined, { numSignatures: 3 });
    await sign(s, sad, [digest('x')]);
    const ext = await extend(s, sad, ctx(), { hashes: undefined, hashAlgorithmOID: undefined });
    expect(claimsOf(ext.sad).n).toBe(2);
  });
});
