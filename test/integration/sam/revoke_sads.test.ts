// revokeSads (issue #14 finding 7): a revoked session takes exactly its SADs with it — that user's, minted through
// that client, still unexpired — and leaves a row in the audit trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorize, ctx, digest, type Env, newSigner, setup } from './helpers.ts';

let env: Env;
beforeAll(async () => {
  env = await setup();
});
afterAll(async () => env.close());

describe('revokeSads', () => {
  it("revokes the user's SADs of that client only, and the signing refusal says why", async () => {
    const s = await newSigner(env);
    const other = await newSigner(env);
    const sadA = await authorize(env, s, [digest('a')], { clientId: 'client-a' });
    const sadB = await authorize(env, s, [digest('b')], { clientId: 'client-b' });
    const sadOther = await authorize(env, other, [digest('c')], { clientId: 'client-a' });
    const c = ctx();
    expect(await env.sam.revokeSads({ ctx: c, userId: s.userId, clientId: 'client-a' })).toEqual({ revoked: 1 });
    const sign = (who: typeof s, sad: string, clientId: string, h: string) =>
      env.sam.signHash({ ctx: ctx(), sad, userId: who.userId, clientId, credentialID: who.credentialID, hashes: [digest(h)], signAlgo: '1.2.840.10045.4.3.2' });
    await expect(sign(s, sadA, 'client-a', 'a')).rejects.toMatchObject({ code: 'SAM_SAD_REVOKED' });
    expect((await sign(s, sadB, 'client-b', 'b')).signatures).toHaveLength(1);
    expect((await sign(other, sadOther, 'client-a', 'c')).signatures).toHaveLength(1);
    const { rows } = await env.db.query(`SELECT event, result, user_id, client_id, detail::jsonb AS detail FROM sam.audit WHERE request_id = $1`, [c.requestId]);
    expect(rows).toEqual([{ event: 'token.revoke', result: 'ok', user_id: s.userId, client_id: 'client-a', detail: { sadsRevoked: 1 } }]);
    // Again: nothing left to revoke.
    expect(await env.sam.revokeSads({ ctx: ctx(), userId: s.userId, clientId: 'client-a' })).toEqual({ revoked: 0 });
  });
});
