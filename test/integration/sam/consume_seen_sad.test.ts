// consumeSeenSad (sam/store/sads.ts): signHash's one-round-trip consumption. It may only apply when the row is
// still what the caller saw; anything else (a consumption in between, a hash not authorized, revocation, expiry,
// exhaustion) leaves the row untouched and hands over to the locked consumeSad, which gives the exact refusal.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tx } from '../../../core/db.ts';
import { auditAppendCall, type AuditDraft } from '../../../sam/audit/audit_log.ts';
import { consumeSeenSad, getSad, insertSad, revokeSad } from '../../../sam/store/sads.ts';
import { ctx, digest, newSigner, setup, SHA256, type Env, type Signer } from './helpers.ts';

let env: Env;
let signer: Signer;
beforeAll(async () => {
  env = await setup();
  signer = await newSigner(env, { otp: false });
});
afterAll(async () => env?.close());

async function newSad(hashes: Uint8Array[], expiresInS = 60): Promise<string> {
  const jti = randomBytes(16).toString('base64url');
  await insertSad(env.db, {
    jti,
    userId: signer.userId,
    clientId: 'client-a',
    credentialId: signer.credentialID,
    hashAlg: SHA256,
    n: hashes.length,
    hashes,
    expiresAt: new Date(env.clock.now().getTime() + expiresInS * 1000),
  });
  return jti;
}

const seen = async (jti: string) => (await getSad(env.db, jti))!;
const consume = (row: Awaited<ReturnType<typeof seen>>, hashes: Uint8Array[]) =>
  tx(env.db, (c) => consumeSeenSad(c, row, hashes, env.clock.now()));

describe('consumeSeenSad', () => {
  it('consumes from the row as seen, and refuses to apply a stale view', async () => {
    const [a, b] = [digest('a'), digest('b')];
    const jti = await newSad([a, b]);
    const before = await seen(jti);
    expect(await consume(before, [a])).toBe(true);
    const after = await seen(jti);
    expect(after.used).toBe(1);
    expect(after.hashes!.map((h) => Buffer.from(h).toString('hex'))).toEqual([Buffer.from(b).toString('hex')]);
    // The old view (used 0) no longer matches: nothing is applied, even for a hash that is still authorized.
    expect(await consume(before, [b])).toBe(false);
    expect((await seen(jti)).used).toBe(1);
  });

  it('hands over, untouched, what the locked path must refuse', async () => {
    const [a, b, c] = [digest('a2'), digest('b2'), digest('c2')];
    const jti = await newSad([a, b]);
    expect(await consume(await seen(jti), [c])).toBe(false); // not authorized
    expect(await consume(await seen(jti), [a, b, a])).toBe(false); // more than n
    expect((await seen(jti)).used).toBe(0);

    await revokeSad(env.db, jti, env.clock.now());
    expect(await consume(await seen(jti), [a])).toBe(false);
    expect((await seen(jti)).used).toBe(0);

    const expiring = await newSad([a], 30);
    const row = await seen(expiring);
    env.clock.advance(31);
    expect(await consume(row, [a])).toBe(false);
    expect((await seen(expiring)).used).toBe(0);
  });

  it('appends the audit row in the same statement, only when it consumes, and not at all if the append fails', async () => {
    const [a, b] = [digest('a3'), digest('b3')];
    const jti = await newSad([a, b]);
    const before = await seen(jti);
    const draft = (requestId: string): AuditDraft => ({
      event: 'sign', ctx: { ...ctx(), requestId }, userId: signer.userId, clientId: 'client-a', credentialId: signer.credentialID,
      hashes: [a], sadJti: jti, numSignatures: 1,
    });
    const rows = async (requestId: string) =>
      (await env.db.query('SELECT event, result, sad_jti, num_signatures FROM sam.audit WHERE request_id = $1', [requestId])).rows;

    const ok = `req-${randomBytes(6).toString('hex')}`;
    expect(await consumeSeenSad(env.db, before, [a], env.clock.now(), (first) => auditAppendCall(draft(ok), 'ok', undefined, first))).toBe(true);
    expect(await rows(ok)).toEqual([{ event: 'sign', result: 'ok', sad_jti: jti, num_signatures: 1 }]);
    expect((await seen(jti)).used).toBe(1);

    // A stale view: neither the consumption nor its row.
    const stale = `req-${randomBytes(6).toString('hex')}`;
    expect(await consumeSeenSad(env.db, before, [b], env.clock.now(), (first) => auditAppendCall(draft(stale), 'ok', undefined, first))).toBe(false);
    expect(await rows(stale)).toEqual([]);
    expect((await seen(jti)).used).toBe(1);

    // The append fails (an event name the audit table's format refuses): the consumption rolls back with it.
    const broken = `req-${randomBytes(6).toString('hex')}`;
    const bad = { ...draft(broken), event: 'Not An Event' as AuditDraft['event'] };
    await expect(consumeSeenSad(env.db, await seen(jti), [b], env.clock.now(), (first) => auditAppendCall(bad, 'ok', undefined, first))).rejects.toThrow();
    expect(await rows(broken)).toEqual([]);
    expect((await seen(jti)).used).toBe(1);
  });
});
