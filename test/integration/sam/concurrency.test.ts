// DESIGN §2.3: N parallel calls with one SAD produce at most n signatures in total. The row lock in the ledger
// is what guarantees it; this test would fail with a read-check-write race.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SamError } from '../../../core/sam_port.ts';
import { auditRows, authorize, ctx, digest, ECDSA_SHA256, jtiOf, newSigner, setup, type Env } from './helpers.ts';

let env: Env;
beforeAll(async () => {
  env = await setup();
});
afterAll(async () => env.close());

describe('SAD consumption under concurrency', () => {
  it('20 parallel signHash calls with one n=1 SAD produce exactly one signature', async () => {
    const s = await newSigner(env);
    const h = digest('contract');
    const sad = await authorize(env, s, [h]);
    const before = env.hsm.signCount;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        env.sam.signHash({ ctx: ctx(), sad, userId: s.userId, clientId: 'client-a', credentialID: s.credentialID, hashes: [h], signAlgo: ECDSA_SHA256 }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(19);
    for (const e of refused) {
      expect(e).toBeInstanceOf(SamError);
      expect(['SAM_SAD_EXHAUSTED', 'SAM_HASH_NOT_AUTHORIZED']).toContain((e as SamError).code);
    }
    expect(env.hsm.signCount - before).toBe(1);
    const { rows } = await env.db.query('SELECT used, hashes FROM sam.sads WHERE jti = $1', [jtiOf(sad)]);
    expect(rows).toEqual([{ used: 1, hashes: [] }]);
    const audit = await auditRows(env.db, { sadJti: jtiOf(sad) });
    const signRows = audit.filter((r) => r.event === 'sign');
    expect(signRows.filter((r) => r.result === 'ok')).toHaveLength(1);
    expect(signRows.filter((r) => r.result === 'refused')).toHaveLength(19);
  });

  it('parallel calls with an n=3 SAD over distinct hashes sign each authorized hash exactly once', async () => {
    const s = await newSigner(env);
    const hashes = [digest('a'), digest('b'), digest('c')];
    const sad = await authorize(env, s, hashes);
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        env.sam.signHash({ ctx: ctx(), sad, userId: s.userId, clientId: 'client-a', credentialID: s.credentialID, hashes: [hashes[i % 3]!], signAlgo: ECDSA_SHA256 }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const { rows } = await env.db.query('SELECT used, hashes FROM sam.sads WHERE jti = $1', [jtiOf(sad)]);
    expect(rows).toEqual([{ used: 3, hashes: [] }]);
  });
});
