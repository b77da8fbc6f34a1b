// The kit's own verifiers decide pass or fail on someone else's signatures, so they are pinned against Node's
// crypto (an independent signer) in every encoding mistake they claim to recognise.
import { constants, createHash, createPublicKey, generateKeyPairSync, privateEncrypt, sign } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import { digestInfoDer, parseEcdsaDer, pssParamsDer } from '../../../conformance/der.ts';
import { verifyEcdsa, verifyRsaPkcs1, verifyRsaPss } from '../../../conformance/signature_verify.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const SHA384 = '2.16.840.1.101.3.4.2.2';
const msg = Buffer.from('the document');
const d256 = createHash('sha256').update(msg).digest();

describe('ECDSA over a digest', () => {
  for (const [curve, hash] of [['P-256', 'sha256'], ['P-384', 'sha384'], ['P-521', 'sha512']] as const) {
    it(`${curve}: a DER signature by Node verifies; a tampered one does not; raw r||s is named`, () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const digest = createHash(hash).update(msg).digest();
      const der = sign(hash, msg, privateKey);
      expect(verifyEcdsa(publicKey, digest, der)).toEqual({ ok: true, detail: `DER ECDSA on ${curve} verified` });
      expect(verifyEcdsa(publicKey, createHash(hash).update('other').digest(), der)).toEqual({ ok: false, reason: 'DER ECDSA signature does not verify under the certificate key' });
      const raw = sign(hash, msg, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      expect(verifyEcdsa(publicKey, digest, raw)).toEqual({ ok: false, reason: `ECDSA signature is raw r||s (${raw.length} bytes), not DER Ecdsa-Sig-Value (RFC 3279 §2.2.3)` });
    });
  }

  it('a digest longer than the order is truncated to its leftmost bits (P-256 with SHA-384)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const sig = sign('sha384', msg, privateKey);
    expect(verifyEcdsa(publicKey, createHash('sha384').update(msg).digest(), sig).ok).toBe(true);
  });

  it('verifies prehashed signatures made by @noble/curves (an independent implementation)', () => {
    for (const [c, crv, len] of [[p256, 'P-256', 32], [p384, 'P-384', 48], [p521, 'P-521', 66]] as const) {
      const sk = c.utils.randomSecretKey();
      const point = c.getPublicKey(sk, false);
      const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
      const key = createPublicKey({ key: { kty: 'EC', crv, x: b64u(point.subarray(1, 1 + len)), y: b64u(point.subarray(1 + len)) }, format: 'jwk' });
      const digest = createHash('sha256').update(msg).digest();
      expect(verifyEcdsa(key, digest, c.sign(digest, sk, { prehash: false, format: 'der' })).ok, crv).toBe(true);
      expect(verifyEcdsa(key, digest, c.sign(digest, sk, { prehash: false, format: 'compact' }))).toMatchObject({ ok: false, reason: expect.stringContaining('raw r||s') });
    }
  });

  it('DER parsing is strict: trailing bytes, negative or padded integers are refused', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = sign('sha256', msg, privateKey);
    expect(parseEcdsaDer(der)).toBeDefined();
    expect(parseEcdsaDer(Buffer.concat([der, Buffer.from([0])]))).toBeUndefined();
    expect(parseEcdsaDer(Buffer.from('3006020100020101', 'hex'))).toBeDefined();
    expect(parseEcdsaDer(Buffer.from('30060201ff020101', 'hex'))).toBeUndefined(); // negative r
    expect(parseEcdsaDer(Buffer.from('3007020200010201', 'hex'))).toBeUndefined(); // r not minimal (and bad length)
    expect(parseEcdsaDer(Buffer.from('300702020001020101', 'hex'))).toBeUndefined(); // r not minimal
  });
});

describe('RSA', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  it('PKCS#1 v1.5: over the DigestInfo verifies; over the bare digest or a re-hash is named', () => {
    expect(verifyRsaPkcs1(publicKey, SHA256, d256, sign('sha256', msg, privateKey))).toEqual({ ok: true, detail: 'PKCS#1 v1.5 over DigestInfo verified' });
    const bare = privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, d256);
    expect(verifyRsaPkcs1(publicKey, SHA256, d256, bare)).toEqual({ ok: false, reason: 'PKCS#1 v1.5 signature covers the bare digest, not its DigestInfo (RFC 8017 §9.2)' });
    const rehashed = sign('sha256', d256, privateKey);
    expect(verifyRsaPkcs1(publicKey, SHA256, d256, rehashed)).toEqual({ ok: false, reason: 'PKCS#1 v1.5 signature covers a hash of the digest: the service re-hashed it' });
    expect(Buffer.from(digestInfoDer(SHA256, d256)).subarray(0, 19).toString('hex')).toBe('3031300d060960864801650304020105000420');
  });

  it('RSASSA-PSS: Node\'s signature verifies with the salt length used, not with another', () => {
    const sig = sign('sha256', msg, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    expect(verifyRsaPss(publicKey, SHA256, 32, d256, sig)).toEqual({ ok: true, detail: 'RSASSA-PSS (sha256, salt 32) verified' });
    expect(verifyRsaPss(publicKey, SHA256, 20, d256, sig).ok).toBe(false);
    expect(verifyRsaPss(publicKey, SHA256, 32, createHash('sha256').update('other').digest(), sig).ok).toBe(false);
    const pkcs1 = sign('sha256', msg, privateKey);
    expect(verifyRsaPss(publicKey, SHA256, 32, d256, pkcs1).ok).toBe(false);
  });

  it('RSASSA-PSS with SHA-384 on a 3072-bit key', () => {
    const k = generateKeyPairSync('rsa', { modulusLength: 3072 });
    const sig = sign('sha384', msg, { key: k.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 });
    expect(verifyRsaPss(k.publicKey, SHA384, 48, createHash('sha384').update(msg).digest(), sig).ok).toBe(true);
  });

  it('writes the RSASSA-PSS-params DER that the spec\'s sha256/MGF1/32 example carries', () => {
    // SEQUENCE { [0] sha256, [1] mgf1(sha256), [2] 32 } as RFC 4055 §3.1 encodes it.
    expect(Buffer.from(pssParamsDer(SHA256, 32)).toString('hex')).toBe(
      '3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120',
    );
  });
});
