// EMSA-PSS verification over a digest (RFC 8017 §9.1.2), in software. Node's crypto verifies PSS only over a
// message it hashes itself; the SAM has only the digest, and checks the device's output independently of the
// device (DESIGN §2.4).
import { createHash, constants, publicDecrypt, type KeyObject } from 'node:crypto';
import type { HashName } from '../../../core/algorithms.ts';

const NODE_HASH: Record<HashName, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

function mgf1(seed: Buffer, length: number, hash: HashName): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  for (let counter = 0; total < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(NODE_HASH[hash]).update(seed).update(c).digest();
    chunks.push(block);
    total += block.length;
  }
  return Buffer.concat(chunks).subarray(0, length);
}

export function verifyPss(
  key: KeyObject,
  digest: Uint8Array,
  signature: Uint8Array,
  p: { hash: HashName; mgfHash: HashName; saltLength: number },
): boolean {
  const modBits = key.asymmetricKeyDetails?.modulusLength;
  if (!modBits) return false;
  const k = Math.ceil(modBits / 8);
  if (signature.length !== k) return false;
  let m: Buffer;
  try {
    m = publicDecrypt({ key, padding: constants.RSA_NO_PADDING }, signature);
  } catch {
    return false;
  }
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  // RSAVP1 output as a k-octet string; when emLen < k its leading octet must be zero (§8.1.2 step 2c).
  if (m.length !== k || (k > emLen && m[0] !== 0)) return false;
  const em = m.subarray(k - emLen);
  const hLen = createHash(NODE_HASH[p.hash]).digest().length;
  const sLen = p.saltLength;
  if (digest.length !== hLen || emLen < hLen + sLen + 2) return false;
  if (em[emLen - 1] !== 0xbc) return false;
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topBits = 8 * emLen - emBits;
  const topMask = (0xff << (8 - topBits)) & 0xff;
  if ((maskedDb[0]! & topMask) !== 0) return false;
  const dbMask = mgf1(Buffer.from(h), emLen - hLen - 1, p.mgfHash);
  const db = Buffer.alloc(maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i] = maskedDb[i]! ^ dbMask[i]!;
  db[0] = db[0]! & ~topMask & 0xff;
  const psLen = emLen - hLen - sLen - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 0x01) return false;
  const salt = db.subarray(db.length - sLen);
  const hPrime = createHash(NODE_HASH[p.hash]).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  return hPrime.equals(h);
}
