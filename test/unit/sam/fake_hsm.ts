// A software stand-in for the HSM, for unit tests of the SAM only (the integration suite runs the same flows on
// SoftHSM). ECDSA over a bare digest uses @noble/curves, which Node's crypto cannot do; RSA uses Node's raw RSA
// primitives over DigestInfo / an EMSA-PSS encoding built here. Hooks let a test make the device fail or lie.
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  generateKeyPairSync,
  privateEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import type { HashName } from '../../../core/algorithms.ts';
import type { KeyAlgo } from '../../../core/sam_port.ts';
import { HsmError, type DigestSignScheme, type Hsm, type KeyPairInfo } from '../../../sam/hsm/hsm.ts';

const HASH_LEN: Record<HashName, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };
const NODE: Record<HashName, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
const DIGEST_INFO: Record<HashName, string> = {
  'SHA-256': '3031300d060960864801650304020105000420',
  'SHA-384': '3041300d060960864801650304020205000430',
  'SHA-512': '3051300d060960864801650304020305000440',
};

type Entry = { label: string; algo: KeyAlgo; info: KeyPairInfo; priv: KeyObject; d?: Uint8Array; pub?: Uint8Array };

export type FakeHsm = Hsm & {
  /** Called before every operation; throw from it to simulate a device failure. */
  before?: (op: string) => void;
  /** Flip a bit of every signature signDigest returns (a device producing bad signatures). */
  corruptSignatures: boolean;
  signCount: number;
};

export function createFakeHsm(): FakeHsm {
  const keys = new Map<string, Entry>();
  const secrets = new Map<string, Buffer>();
  const get = (keyId: string) => {
    const k = keys.get(keyId);
    if (!k) throw new HsmError('CKR_KEY_HANDLE_INVALID');
    return k;
  };
  const hsm: FakeHsm = {
    corruptSignatures: false,
    signCount: 0,
    async generateKeyPair({ algo, label }) {
      hsm.before?.('generateKeyPair');
      const { privateKey, publicKey } = algo.startsWith('EC-')
        ? generateKeyPairSync('ec', { namedCurve: algo === 'EC-P256' ? 'P-256' : 'P-384' })
        : generateKeyPairSync('rsa', { modulusLength: algo === 'RSA-2048' ? 2048 : 3072 });
      const keyId = randomBytes(16).toString('hex');
      const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
      const entry: Entry = { label, algo, info: { keyId, spki }, priv: privateKey };
      if (algo.startsWith('EC-')) {
        const jwk = privateKey.export({ format: 'jwk' });
        entry.d = Buffer.from(jwk.d!, 'base64url');
        entry.pub = Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
      }
      keys.set(keyId, entry);
      return entry.info;
    },
    async destroyKeyPair(keyId) {
      hsm.before?.('destroyKeyPair');
      return keys.delete(keyId) ? 2 : 0;
    },
    async findKeyPair(label) {
      hsm.before?.('findKeyPair');
      for (const k of keys.values()) if (k.label === label) return k.info;
      return null;
    },
    async signDigest(keyId, scheme, digest) {
      hsm.before?.('signDigest');
      const k = get(keyId);
      hsm.signCount++;
      const sig = sign(k, scheme, digest);
      if (hsm.corruptSignatures) sig[sig.length - 3]! ^= 0x01;
      return sig;
    },
    async verifyDigest(keyId, scheme, digest, signature) {
      hsm.before?.('verifyDigest');
      const k = get(keyId);
      if (scheme.kind !== 'ecdsa') throw new HsmError('CKR_MECHANISM_INVALID', 'fake verifies ECDSA only');
      const curve = k.algo === 'EC-P256' ? p256 : p384;
      try {
        return curve.verify(signature, digest, k.pub!, { prehash: false, format: 'der', lowS: false });
      } catch {
        return false;
      }
    },
    async ensureSecretKey(label) {
      hsm.before?.('ensureSecretKey');
      if (secrets.has(label)) return false;
      secrets.set(label, randomBytes(32));
      return true;
    },
    async encrypt(label, plaintext, aad) {
      hsm.before?.('encrypt');
      const key = secrets.get(label);
      if (!key) throw new HsmError('CKR_KEY_HANDLE_INVALID');
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      if (aad) c.setAAD(aad);
      return Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
    },
    async decrypt(label, ciphertext, aad) {
      hsm.before?.('decrypt');
      const key = secrets.get(label);
      if (!key) throw new HsmError('CKR_KEY_HANDLE_INVALID');
      const buf = Buffer.from(ciphertext);
      const d = createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12));
      if (aad) d.setAAD(aad);
      d.setAuthTag(buf.subarray(buf.length - 16));
      try {
        return Buffer.concat([d.update(buf.subarray(12, buf.length - 16)), d.final()]);
      } catch {
        throw new HsmError('CKR_ENCRYPTED_DATA_INVALID');
      }
    },
    sessions() {
      return { size: 1, inUse: 0, waiting: 0 };
    },
    async close() {},
  };
  return hsm;
}

function sign(k: Entry, scheme: DigestSignScheme, digest: Uint8Array): Uint8Array {
  if (scheme.kind === 'ecdsa') {
    if (!k.algo.startsWith('EC-')) throw new HsmError('CKR_KEY_TYPE_INCONSISTENT');
    const curve = k.algo === 'EC-P256' ? p256 : p384;
    return curve.sign(digest, k.d!, { prehash: false, format: 'der' });
  }
  if (k.algo.startsWith('EC-')) throw new HsmError('CKR_KEY_TYPE_INCONSISTENT');
  if (digest.length !== HASH_LEN[scheme.hash]) throw new HsmError('CKR_DATA_LEN_RANGE');
  if (scheme.kind === 'rsa-pkcs1') {
    const di = Buffer.concat([Buffer.from(DIGEST_INFO[scheme.hash], 'hex'), digest]);
    return new Uint8Array(privateEncrypt({ key: k.priv, padding: constants.RSA_PKCS1_PADDING }, di));
  }
  const modBits = k.priv.asymmetricKeyDetails!.modulusLength!;
  const em = emsaPssEncode(digest, modBits - 1, scheme);
  const k8 = Math.ceil(modBits / 8);
  const block = Buffer.concat([Buffer.alloc(k8 - em.length), em]);
  return new Uint8Array(privateEncrypt({ key: k.priv, padding: constants.RSA_NO_PADDING }, block));
}

/** RFC 8017 §9.1.1, over a given mHash. */
function emsaPssEncode(mHash: Uint8Array, emBits: number, p: { hash: HashName; mgfHash: HashName; saltLength: number }): Buffer {
  const hLen = HASH_LEN[p.hash];
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(p.saltLength);
  const h = createHash(NODE[p.hash]).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - p.saltLength - hLen - 2), Buffer.of(1), salt]);
  const mask = mgf1(h, emLen - hLen - 1, p.mgfHash);
  for (let i = 0; i < db.length; i++) db[i] = db[i]! ^ mask[i]!;
  db[0] = db[0]! & (0xff >> (8 * emLen - emBits));
  return Buffer.concat([db, h, Buffer.of(0xbc)]);
}

function mgf1(seed: Buffer, len: number, hash: HashName): Buffer {
  const out: Buffer[] = [];
  for (let c = 0; out.length * HASH_LEN[hash] < len; c++) {
    const ctr = Buffer.alloc(4);
    ctr.writeUInt32BE(c);
    out.push(createHash(NODE[hash]).update(seed).update(ctr).digest());
  }
  return Buffer.concat(out).subarray(0, len);
}
