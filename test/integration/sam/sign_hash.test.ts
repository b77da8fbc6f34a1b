// signHash in the SAM (DESIGN §2.3–2.4): the happy paths for each scheme, verified independently with Node's
// crypto under the certificate's key, and one refusal per check, each with its exact code and audit row.
import { constants, createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseCertificate } from '../../../core/cert_info.ts';
import { AsnConvert } from '@peculiar/asn1-schema';
import { HsmError } from '../../../sam/hsm/hsm.ts';
import { ecdsaDerToRaw } from '../../../core/ecdsa_der.ts';
import { mintSad } from '../../../sam/app/sad/mint.ts';
import { ensureSamKeys } from '../../../sam/app/sad/sam_keys.ts';
import { insertSad, revokeSad } from '../../../sam/store/sads.ts';
import {
  auditRows,
  authorize,
  ctx,
  digest,
  ECDSA_SHA256,
  expectRefusal,
  jtiOf,
  newSigner,
  RSA_ENCRYPTION,
  RSA_SHA256,
  RSASSA_PSS,
  setup,
  stage,
  SHA256,
  SHA384,
  type Env,
  type Signer,
} from './helpers.ts';
import { pssParams } from '../../unit/sam/pss.ts';

let env: Env;
beforeAll(async () => {
  env = await setup();
});
afterAll(async () => env.close());

type SignCmd = Parameters<Env['sam']['signHash']>[0];

function sign(s: Signer, sad: string, c: ReturnType<typeof ctx>, o: Partial<SignCmd> = {}) {
  return env.sam.signHash({
    ctx: c,
    sad,
    userId: s.userId,
    clientId: 'client-a',
    credentialID: s.credentialID,
    hashes: [digest('doc')],
    signAlgo: ECDSA_SHA256,
    ...o,
  });
}

/** The end-entity certificate's public key: signatures must verify under what the certificate says. */
function certKey(s: Signer): KeyObject {
  const cert = parseCertificate(s.certificates[0]!);
  const spki = AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo);
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
}

describe('signHash: signatures that verify', () => {
  it('ECDSA P-256: DER Ecdsa-Sig-Value over the given digest, in request order, with an ok audit row', async () => {
    const s = await newSigner(env, { algo: 'EC-P256' });
    const hashes = [digest('one'), digest('two')];
    const sad = await authorize(env, s, hashes);
    const c = ctx();
    const { signatures } = await sign(s, sad, c, { hashes });
    expect(signatures).toHaveLength(2);
    expect(verify('sha256', Buffer.from('one'), certKey(s), signatures[0]!)).toBe(true);
    expect(verify('sha256', Buffer.from('two'), certKey(s), signatures[1]!)).toBe(true);
    expect(verify('sha256', Buffer.from('two'), certKey(s), signatures[0]!)).toBe(false);
    expect(await auditRows(env.db, { requestId: c.requestId })).toEqual([
      expect.objectContaining({
        event: 'sign',
        result: 'ok',
        error_code: null,
        user_id: s.userId,
        client_id: 'client-a',
        credential_id: s.credentialID,
        sign_algo: ECDSA_SHA256,
        hash_alg: SHA256,
        hashes: hashes.map((h) => Buffer.from(h).toString('base64')),
        sad_jti: jtiOf(sad),
        num_signatures: 2,
        source_ip: '203.0.113.7',
      }),
    ]);
    const { rows } = await env.db.query('SELECT used, hashes FROM sam.sads WHERE jti = $1', [jtiOf(sad)]);
    expect(rows).toEqual([{ used: 2, hashes: [] }]);
  });

  it('ECDSA P-384 with ecdsa-with-SHA384 over a SHA-384 digest', async () => {
    const s = await newSigner(env, { algo: 'EC-P384' });
    const h = digest('doc', 'sha384');
    const sad = await authorize(env, s, [h], { hashAlgorithmOID: SHA384 });
    const { signatures } = await sign(s, sad, ctx(), { hashes: [h], signAlgo: '1.2.840.10045.4.3.3' });
    expect(verify('sha384', Buffer.from('doc'), certKey(s), signatures[0]!)).toBe(true);
  });

  it('RSA PKCS#1 v1.5 with sha256WithRSAEncryption signs the DigestInfo of the digest (no re-hash)', async () => {
    const s = await newSigner(env, { algo: 'RSA-2048' });
    const sad = await authorize(env, s, [digest('doc')]);
    const { signatures } = await sign(s, sad, ctx(), { signAlgo: RSA_SHA256 });
    expect(signatures[0]).toHaveLength(256);
    expect(verify('sha256', Buffer.from('doc'), certKey(s), signatures[0]!)).toBe(true);
  });

  it('RSA PKCS#1 v1.5 with the key OID rsaEncryption and hashAlgorithmOID', async () => {
    const s = await newSigner(env, { algo: 'RSA-2048' });
    const sad = await authorize(env, s, [digest('doc')]);
    const { signatures } = await sign(s, sad, ctx(), { signAlgo: RSA_ENCRYPTION, hashAlgorithmOID: SHA256 });
    expect(verify('sha256', Buffer.from('doc'), certKey(s), signatures[0]!)).toBe(true);
  });

  it('RSASSA-PSS with parameters from signAlgoParams (SHA-256, MGF1-SHA-256, salt 32)', async () => {
    const s = await newSigner(env, { algo: 'RSA-2048', pssOnly: true });
    const sad = await authorize(env, s, [digest('doc')]);
    const { signatures } = await sign(s, sad, ctx(), { signAlgo: RSASSA_PSS, signAlgoParams: pssParams(SHA256, 32) });
    const key = { key: certKey(s), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    expect(verify('sha256', Buffer.from('doc'), key, signatures[0]!)).toBe(true);
  });

  it('a SAD for the same hash twice signs it twice, then no more', async () => {
    const s = await newSigner(env);
    const h = digest('twice');
    const sad = await authorize(env, s, [h, h]);
    await sign(s, sad, ctx(), { hashes: [h] });
    await sign(s, sad, ctx(), { hashes: [h] });
    await expectRefusal(env, 'SAM_SAD_EXHAUSTED', (c) => sign(s, sad, c, { hashes: [h] }));
  });

  it('a SCAL 1 count-only SAD signs any hash, up to n', async () => {
    const s = await newSigner(env, { scal: '1' });
    const sad = await authorize(env, s, undefined, { numSignatures: 2 });
    await sign(s, sad, ctx(), { hashes: [digest('x')] });
    await sign(s, sad, ctx(), { hashes: [digest('y')] });
    await expectRefusal(env, 'SAM_SAD_EXHAUSTED', (c) => sign(s, sad, c, { hashes: [digest('z')] }));
  });
});

describe('signHash: one refusal per check of DESIGN §2.3', () => {
  let s: Signer;
  let sad: string;
  beforeEach(async () => {
    s = await newSigner(env);
    sad = await authorize(env, s, [digest('doc')]);
  });

  it('SAM_SAD_INVALID for garbage, a tampered SAD, a foreign key, a wrong typ, and an unrecorded SAD', async () => {
    await expectRefusal(env, 'SAM_SAD_INVALID', (c) => sign(s, 'not-a-jws', c));
    const [h, p, sig] = sad.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, n: 99 })).toString('base64url');
    await expectRefusal(env, 'SAM_SAD_INVALID', (c) => sign(s, `${h}.${forged}.${sig}`, c));

    const foreign = await generateKeyPair('ES256');
    const byOther = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'sad+jwt' }).sign(foreign.privateKey);
    await expectRefusal(env, 'SAM_SAD_INVALID', (c) => sign(s, byOther, c));

    // signed by the SAM's own key, but not typed as a SAD (some other JWT the key might have signed)
    const keys = await ensureSamKeys(env.hsm);
    const input = `${Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT' })).toString('base64url')}.${p}`;
    const der = await env.hsm.signDigest(keys.sadKeyId, { kind: 'ecdsa' }, createHash('sha256').update(input).digest());
    const wrongTyp = `${input}.${Buffer.from(ecdsaDerToRaw(der, 32)).toString('base64url')}`;
    await expectRefusal(env, 'SAM_SAD_INVALID', (c) => sign(s, wrongTyp, c));

    const unrecorded = await mintSad(env.hsm, keys, { ...claims, jti: 'unrecorded-' + claims.jti });
    await expectRefusal(env, 'SAM_SAD_INVALID', (c) => sign(s, unrecorded, c));
  });

  it('keeps only a digest of the requested hashes on a refusal, never the list (issue #14 finding 6)', async () => {
    const asked = Array.from({ length: 50 }, (_, i) => digest(`not authorized ${i}`));
    const c = ctx();
    await expect(sign(s, sad, c, { hashes: asked })).rejects.toMatchObject({ code: 'SAM_SAD_EXHAUSTED' }); // 50 asked of a SAD for 1
    const { rows } = await env.db.query('SELECT result, hashes, num_signatures, detail::jsonb AS detail FROM sam.audit WHERE request_id = $1', [c.requestId]);
    const list = JSON.stringify(asked.map((h) => Buffer.from(h).toString('base64')));
    expect(rows).toEqual([
      { result: 'refused', hashes: null, num_signatures: 50, detail: { hashCount: 50, hashesSha256: createHash('sha256').update(list).digest('base64') } },
    ]);
  });

  it('SAM_SAD_EXPIRED after the SAD lifetime (injected clock)', async () => {
    const x = await newSigner(env);
    const xsad = await authorize(env, x, [digest('doc')]);
    env.clock.advance(301);
    await expectRefusal(env, 'SAM_SAD_EXPIRED', (c) => sign(x, xsad, c));
  });

  it('SAM_SAD_REVOKED for a revoked SAD', async () => {
    const x = await newSigner(env);
    const xsad = await authorize(env, x, [digest('doc')]);
    await revokeSad(env.db, jtiOf(xsad), env.clock.now());
    await expectRefusal(env, 'SAM_SAD_REVOKED', (c) => sign(x, xsad, c));
  });

  it("SAM_SAD_WRONG_CREDENTIAL for the signer's SAD used with another of their credentials", async () => {
    const other = await env.sam.createCredential({
      ctx: ctx(),
      credentialID: `cred-second-${s.userId}`,
      ownerId: s.userId,
      algo: 'EC-P256',
      pin: s.pin,
      subject: { commonName: 'Alice Test' },
      scal: '2',
      multisign: 1,
    });
    expect(other.certificates).toHaveLength(2);
    await expectRefusal(env, 'SAM_SAD_WRONG_CREDENTIAL', (c) => sign(s, sad, c, { credentialID: `cred-second-${s.userId}` }));
  });

  it("SAM_NOT_OWNER when another user presents the signer's SAD", async () => {
    const mallory = await newSigner(env);
    await expectRefusal(env, 'SAM_NOT_OWNER', (c) => sign(s, sad, c, { userId: mallory.userId }));
  });

  it("SAM_NOT_OWNER for a SAD whose subject does not own the credential", async () => {
    const mallory = await newSigner(env);
    const keys = await ensureSamKeys(env.hsm);
    const now = Math.floor(env.clock.now().getTime() / 1000);
    const claims = { sub: mallory.userId, cid: s.credentialID, azp: 'client-a', n: 1, amr: ['pwd' as const], jti: `mallory-${mallory.userId}`, iat: now, exp: now + 60 };
    const forged = await mintSad(env.hsm, keys, claims);
    await insertSad(env.db, { jti: claims.jti, userId: mallory.userId, clientId: 'client-a', credentialId: s.credentialID, hashAlg: null, n: 1, hashes: null, expiresAt: new Date((now + 60) * 1000) });
    await expectRefusal(env, 'SAM_NOT_OWNER', (c) => sign(s, forged, c, { userId: mallory.userId }));
  });

  it('SAM_WRONG_CLIENT when another client presents the SAD', async () => {
    await expectRefusal(env, 'SAM_WRONG_CLIENT', (c) => sign(s, sad, c, { clientId: 'client-b' }));
  });

  it('SAM_CREDENTIAL_DISABLED when the credential was disabled after activation', async () => {
    const x = await newSigner(env);
    const xsad = await authorize(env, x, [digest('doc')]);
    await env.sam.setEnabled({ ctx: ctx(), credentialID: x.credentialID, enabled: false });
    await expectRefusal(env, 'SAM_CREDENTIAL_DISABLED', (c) => sign(x, xsad, c));
  });

  it('SAM_CREDENTIAL_LOCKED when the credential locked after activation', async () => {
    const x = await newSigner(env);
    const xsad = await authorize(env, x, [digest('doc')]);
    for (let i = 0; i < 5; i++) {
      await expectRefusal(env, 'SAM_PIN_INVALID', (c) =>
        env.sam.activate({ ctx: c, userId: x.userId, clientId: 'client-a', credentialID: x.credentialID, numSignatures: 1, hashes: [digest('doc')], hashAlgorithmOID: SHA256, factors: { pin: 'bad', otp: '000000' } }),
      );
    }
    await expectRefusal(env, 'SAM_CREDENTIAL_LOCKED', (c) => sign(x, xsad, c));
  });

  it('SAM_CERT_NOT_VALID when the certificate expired after activation', async () => {
    const x = await newSigner(env);
    const xsad = await authorize(env, x, [digest('doc')]);
    await stage(env, x.credentialID, 'UPDATE sam.credentials SET not_after = $2 WHERE credential_id = $1', [new Date(env.clock.now().getTime() - 1000)]);
    await expectRefusal(env, 'SAM_CERT_NOT_VALID', (c) => sign(x, xsad, c));
  });

  it('SAM_SIGN_ALGO_INVALID for an algorithm the key does not admit', async () => {
    await expectRefusal(env, 'SAM_SIGN_ALGO_INVALID', (c) => sign(s, sad, c, { signAlgo: RSA_SHA256 }));
    await expectRefusal(env, 'SAM_SIGN_ALGO_INVALID', (c) => sign(s, sad, c, { signAlgo: '1.2.3.4' }));
    const pssOnly = await newSigner(env, { algo: 'RSA-2048', pssOnly: true });
    const psad = await authorize(env, pssOnly, [digest('doc')]);
    await expectRefusal(env, 'SAM_SIGN_ALGO_INVALID', (c) => sign(pssOnly, psad, c, { signAlgo: RSA_SHA256 }));
  });

  it('SAM_SIGN_ALGO_PARAMS_INVALID for RSASSA-PSS without, with garbage, or with SHA-1 parameters', async () => {
    const r = await newSigner(env, { algo: 'RSA-2048' });
    const rsad = await authorize(env, r, [digest('doc')]);
    await expectRefusal(env, 'SAM_SIGN_ALGO_PARAMS_INVALID', (c) => sign(r, rsad, c, { signAlgo: RSASSA_PSS }));
    await expectRefusal(env, 'SAM_SIGN_ALGO_PARAMS_INVALID', (c) => sign(r, rsad, c, { signAlgo: RSASSA_PSS, signAlgoParams: Uint8Array.of(1, 2, 3) }));
    // an empty SEQUENCE means all defaults: SHA-1, which we do not sign with
    await expectRefusal(env, 'SAM_SIGN_ALGO_PARAMS_INVALID', (c) => sign(r, rsad, c, { signAlgo: RSASSA_PSS, signAlgoParams: Uint8Array.of(0x30, 0) }));
    await expectRefusal(env, 'SAM_SIGN_ALGO_PARAMS_INVALID', (c) => sign(r, rsad, c, { signAlgo: RSASSA_PSS, signAlgoParams: pssParams(SHA256, 300) }));
  });

  it('SAM_HASH_ALG_INVALID for a key OID without hashAlgorithmOID, or an unknown hashAlgorithmOID', async () => {
    await expectRefusal(env, 'SAM_HASH_ALG_INVALID', (c) => sign(s, sad, c, { signAlgo: '1.2.840.10045.2.1' }));
    await expectRefusal(env, 'SAM_HASH_ALG_INVALID', (c) => sign(s, sad, c, { hashAlgorithmOID: '1.3.14.3.2.26' }));
  });

  it('SAM_HASH_ALG_MISMATCH when signAlgo, hashAlgorithmOID, PSS params and the SAD disagree', async () => {
    // combined OID implies SHA-256, hashAlgorithmOID says SHA-384
    await expectRefusal(env, 'SAM_HASH_ALG_MISMATCH', (c) => sign(s, sad, c, { hashAlgorithmOID: SHA384 }));
    // consistent request, but the SAD was activated for SHA-256
    await expectRefusal(env, 'SAM_HASH_ALG_MISMATCH', (c) => sign(s, sad, c, { signAlgo: '1.2.840.10045.4.3.3', hashes: [digest('doc', 'sha384')] }));
    const r = await newSigner(env, { algo: 'RSA-2048' });
    const rsad = await authorize(env, r, [digest('doc')]);
    await expectRefusal(env, 'SAM_HASH_ALG_MISMATCH', (c) => sign(r, rsad, c, { signAlgo: RSASSA_PSS, signAlgoParams: pssParams(SHA384, 32) }));
    await expectRefusal(env, 'SAM_HASH_ALG_MISMATCH', (c) => sign(r, rsad, c, { signAlgo: RSASSA_PSS, signAlgoParams: pssParams(SHA256, 32), hashAlgorithmOID: SHA384 }));
  });

  it('SAM_HASHES_REQUIRED for an empty hash list', async () => {
    await expectRefusal(env, 'SAM_HASHES_REQUIRED', (c) => sign(s, sad, c, { hashes: [] }));
  });

  it('SAM_HASH_LENGTH for a digest of the wrong length', async () => {
    await expectRefusal(env, 'SAM_HASH_LENGTH', (c) => sign(s, sad, c, { hashes: [digest('doc').subarray(0, 31)] }));
  });

  it('SAM_HASH_NOT_AUTHORIZED for a hash the SAD did not authorize; nothing is consumed', async () => {
    await expectRefusal(env, 'SAM_HASH_NOT_AUTHORIZED', (c) => sign(s, sad, c, { hashes: [digest('other')] }));
    const { rows } = await env.db.query('SELECT used FROM sam.sads WHERE jti = $1', [jtiOf(sad)]);
    expect(rows[0].used).toBe(0);
  });

  it('SAM_SAD_EXHAUSTED once the authorized signatures are made', async () => {
    await sign(s, sad, ctx());
    await expectRefusal(env, 'SAM_SAD_EXHAUSTED', (c) => sign(s, sad, c));
  });
});

describe('signHash: a database writer cannot widen a SAD (issue #14 finding 3)', () => {
  // The attacker can write sam.sads but holds no SAM key: each edit below must end in a refusal and an audit row,
  // with nothing signed and nothing consumed.
  let s: Signer;
  let sad: string;
  beforeEach(async () => {
    s = await newSigner(env);
    sad = await authorize(env, s, [digest('doc'), digest('doc2')]);
  });
  const edit = (set: string, params: unknown[] = []) =>
    env.db.query(`UPDATE sam.sads SET ${set} WHERE jti = $1`, [jtiOf(sad), ...params]);
  const usedNow = async () => (await env.db.query('SELECT used FROM sam.sads WHERE jti = $1', [jtiOf(sad)])).rows[0].used;

  it('hashes set to NULL (a SCAL 2 SAD read as count-only) is refused for any hash', async () => {
    await edit('hashes = NULL');
    const err = await expectRefusal(env, 'SAM_SAD_INVALID', (c) => sign(s, sad, c, { hashes: [digest('anything')] }));
    expect(err.detail).toBe('stored hashes do not match the SAD');
    expect(await usedNow()).toBe(0);
  });

  it('both lists blanked is refused as well', async () => {
    await edit('hashes = NULL, authorized = NULL');
    await expectRefusal(env, 'SAM_SAD_INVALID', (c) => sign(s, sad, c, { hashes: [digest('anything')] }));
  });

  it('a swapped list (both columns rewritten to the attacker\'s hashes) is refused', async () => {
    const forged = [Buffer.from(digest('forged')), Buffer.from(digest('doc2'))];
    await edit('hashes = $2::bytea[], authorized = $2::bytea[]', [forged]);
    await expectRefusal(env, 'SAM_SAD_INVALID', (c) => sign(s, sad, c, { hashes: [digest('forged')] }));
    expect(await usedNow()).toBe(0);
  });

  it('a hash added to what is still signable (beyond the minted list) is refused', async () => {
    await edit('hashes = array_append(hashes, $2::bytea)', [Buffer.from(digest('extra'))]);
    await expectRefusal(env, 'SAM_SAD_INVALID', (c) => sign(s, sad, c, { hashes: [digest('extra')] }));
  });

  it('a count-only SAD given a stored list is refused (the record says what the token does not)', async () => {
    const s1 = await newSigner(env, { scal: '1' });
    const blank = await authorize(env, s1, undefined, { numSignatures: 1 });
    await env.db.query('UPDATE sam.sads SET hashes = $2::bytea[] WHERE jti = $1', [jtiOf(blank), [Buffer.from(digest('doc'))]]);
    await expectRefusal(env, 'SAM_SAD_INVALID', (c) => sign(s1, blank, c));
  });

  it('a count-only SAD (minted while the credential was SCAL 1) is refused once the credential is SCAL 2', async () => {
    const s1 = await newSigner(env, { scal: '1' });
    const blank = await authorize(env, s1, undefined, { numSignatures: 1 });
    await stage(env, s1.credentialID, "UPDATE sam.credentials SET scal = '2' WHERE credential_id = $1");
    const err = await expectRefusal(env, 'SAM_SAD_INVALID', (c) => sign(s1, blank, c));
    expect(err.detail).toBe('SAD not bound to hashes at SCAL 2');
  });

  it('a row rewritten after a partial use is refused, and what was consumed stays consumed', async () => {
    await sign(s, sad, ctx(), { hashes: [digest('doc')] });
    await edit('hashes = NULL');
    await expectRefusal(env, 'SAM_SAD_INVALID', (c) => sign(s, sad, c, { hashes: [digest('doc2')] }));
    expect(await usedNow()).toBe(1);
  });

  it('untouched, the same SAD signs both of its hashes, in two calls', async () => {
    await sign(s, sad, ctx(), { hashes: [digest('doc2')] });
    const { signatures } = await sign(s, sad, ctx(), { hashes: [digest('doc')] });
    expect(signatures).toHaveLength(1);
    expect(await usedNow()).toBe(2);
  });
});

describe('signHash: device trouble fails closed', () => {
  it('SAM_SIGNATURE_VERIFY_FAILED (audited as error) when the device returns a bad ECDSA or RSA signature', async () => {
    for (const algo of ['EC-P256', 'RSA-2048'] as const) {
      const x = await newSigner(env, { algo });
      const xsad = await authorize(env, x, [digest('doc')]);
      env.hsm.corruptSignatures = true;
      try {
        await expectRefusal(env, 'SAM_SIGNATURE_VERIFY_FAILED', (c) => sign(x, xsad, c, { signAlgo: algo === 'EC-P256' ? ECDSA_SHA256 : RSA_SHA256 }), 'error');
      } finally {
        env.hsm.corruptSignatures = false;
      }
    }
  });

  it('SAM_HSM_UNAVAILABLE for a device error, SAM_HSM_ERROR for other CKR codes, keeping the CKR name', async () => {
    const x = await newSigner(env);
    const sad1 = await authorize(env, x, [digest('doc')]);
    const sad2 = await authorize(env, x, [digest('doc')]);
    env.hsm.before = (op) => {
      if (op === 'signDigest') throw new HsmError('CKR_DEVICE_ERROR');
    };
    try {
      const e = await expectRefusal(env, 'SAM_HSM_UNAVAILABLE', (c) => sign(x, sad1, c), 'error');
      expect(e.detail).toBe('CKR_DEVICE_ERROR');
      env.hsm.before = (op) => {
        if (op === 'signDigest') throw new HsmError('CKR_MECHANISM_INVALID');
      };
      const e2 = await expectRefusal(env, 'SAM_HSM_ERROR', (c) => sign(x, sad2, c), 'error');
      expect(e2.detail).toBe('CKR_MECHANISM_INVALID');
    } finally {
      env.hsm.before = undefined;
    }
    // the SAD stays spent: fail closed, a retry needs a new activation
    await expectRefusal(env, 'SAM_SAD_EXHAUSTED', (c) => sign(x, sad1, c));
  });
});
