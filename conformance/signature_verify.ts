// Verifies a signature returned by signatures/signHash (CSC v2 §11.10) under the public key of the end-entity
// certificate returned by credentials/info, with the encodings that relying parties expect: ECDSA as DER
// Ecdsa-Sig-Value (RFC 3279 §2.2.3, not raw r||s), RSA PKCS#1 v1.5 over the DigestInfo of the given digest
// (RFC 8017 §8.2, never the bare digest and never a re-hash), RSASSA-PSS per RFC 8017 §9.1.
import { constants, createHash, type KeyObject, publicDecrypt } from 'node:crypto';
import { digestInfoDer, parseEcdsaDer, toBigInt } from './der.ts';
import { ecdsaVerifyDigest } from './ecdsa_verify.ts';
import { HASH_BY_OID } from './oids.ts';

export type Verdict = { ok: true; detail: string } | { ok: false; reason: string };

const b64uToBigInt = (s: string) => toBigInt(Buffer.from(s, 'base64url'));

export function verifyEcdsa(key: KeyObject, digest: Uint8Array, sig: Uint8Array): Verdict {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || !jwk.crv || !jwk.x || !jwk.y) return { ok: false, reason: 'the certificate key is not an EC key' };
  const x = b64uToBigInt(jwk.x);
  const y = b64uToBigInt(jwk.y);
  const parsed = parseEcdsaDer(sig);
  if (!parsed) {
    // A signature of exactly two field-sized integers that verifies is the IEEE P1363 / PKCS#11 form r||s that
    // many HSM integrations forget to convert: say so, since that is the fix an implementer needs.
    const half = sig.length / 2;
    if (Number.isInteger(half)) {
      const r = toBigInt(sig.subarray(0, half));
      const s = toBigInt(sig.subarray(half));
      if (ecdsaVerifyDigest(jwk.crv, x, y, digest, r, s)) {
        return { ok: false, reason: `ECDSA signature is raw r||s (${sig.length} bytes), not DER Ecdsa-Sig-Value (RFC 3279 §2.2.3)` };
      }
    }
    return { ok: false, reason: `ECDSA signature is not a DER Ecdsa-Sig-Value (${sig.length} bytes)` };
  }
  return ecdsaVerifyDigest(jwk.crv, x, y, digest, parsed.r, parsed.s)
    ? { ok: true, detail: `DER ECDSA on ${jwk.crv} verified` }
    : { ok: false, reason: 'DER ECDSA signature does not verify under the certificate key' };
}

export function verifyRsaPkcs1(key: KeyObject, hashOid: string, digest: Uint8Array, sig: Uint8Array): Verdict {
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, sig);
  } catch {
    return { ok: false, reason: 'RSA signature does not open as PKCS#1 v1.5 under the certificate key' };
  }
  if (recovered.equals(Buffer.from(digestInfoDer(hashOid, digest)))) return { ok: true, detail: 'PKCS#1 v1.5 over DigestInfo verified' };
  if (recovered.equals(Buffer.from(digest))) return { ok: false, reason: 'PKCS#1 v1.5 signature covers the bare digest, not its DigestInfo (RFC 8017 §9.2)' };
  const hash = HASH_BY_OID[hashOid];
  if (hash && recovered.equals(Buffer.from(digestInfoDer(hashOid, createHash(hash.node).update(digest).digest())))) {
    return { ok: false, reason: 'PKCS#1 v1.5 signature covers a hash of the digest: the service re-hashed it' };
  }
  return { ok: false, reason: 'PKCS#1 v1.5 signature does not cover the DigestInfo of the hash sent' };
}

function mgf1(hashName: string, seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0, have = 0; have < length; i++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(i);
    const block = createHash(hashName).update(seed).update(c).digest();
    out.push(block);
    have += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with MGF1 over the same hash. */
export function verifyRsaPss(key: KeyObject, hashOid: string, saltLength: number, digest: Uint8Array, sig: Uint8Array): Verdict {
  const hash = HASH_BY_OID[hashOid];
  if (!hash) return { ok: false, reason: `unknown hash ${hashOid}` };
  const modBits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  let em: Buffer;
  try {
    em = publicDecrypt({ key, padding: constants.RSA_NO_PADDING }, sig);
  } catch {
    return { ok: false, reason: 'RSA-PSS signature does not open under the certificate key' };
  }
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  em = em.subarray(em.length - emLen);
  const hLen = hash.length;
  const fail: Verdict = { ok: false, reason: `RSA-PSS signature does not verify (${hash.node}, MGF1 ${hash.node}, salt ${saltLength})` };
  if (emLen < hLen + saltLength + 2 || em[emLen - 1] !== 0xbc) return fail;
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const H = em.subarray(emLen - hLen - 1, emLen - 1);
  const zeroBits = 8 * emLen - emBits;
  const topMask = 0xff >> zeroBits;
  if ((maskedDb[0]! & ~topMask & 0xff) !== 0) return fail;
  const mask = mgf1(hash.node, Buffer.from(H), maskedDb.length);
  const db = Buffer.from(maskedDb.map((b, i) => b ^ mask[i]!));
  db[0] = db[0]! & topMask;
  const psLen = emLen - hLen - saltLength - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return fail;
  if (db[psLen] !== 0x01) return fail;
  const salt = db.subarray(db.length - saltLength);
  const Hp = createHash(hash.node).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  return Hp.equals(H) ? { ok: true, detail: `RSASSA-PSS (${hash.node}, salt ${saltLength}) verified` } : fail;
}
