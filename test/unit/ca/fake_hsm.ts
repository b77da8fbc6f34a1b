// A software stand-in for the HSM, for unit tests of sam/ca only: keys are Node KeyObjects, ECDSA over a bare
// digest comes from @noble/curves (Node's crypto always hashes), RSA PKCS#1 v1.5 is privateEncrypt over the
// DigestInfo, exactly what CKM_RSA_PKCS does in a token.
import { constants, generateKeyPairSync, privateEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import type { HashName } from '../../../core/algorithms.ts';
import type { KeyAlgo } from '../../../core/sam_port.ts';
import type { DigestSignScheme, Hsm, KeyPairInfo } from '../../../sam/hsm/hsm.ts';

/** DER DigestInfo prefixes (RFC 8017 §9.2 note 1). */
const DIGEST_INFO: Record<HashName, string> = {
  'SHA-256': '3031300d060960864801650304020105000420',
  'SHA-384': '3041300d060960864801650304020205000430',
  'SHA-512': '3051300d060960864801650304020305000440',
};

type Entry = { label: string; privateKey: KeyObject; spki: Uint8Array; algo: KeyAlgo };

export function softwareKey(algo: KeyAlgo): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (algo) {
    case 'EC-P256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'EC-P384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case 'RSA-2048':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
    case 'RSA-3072':
      return generateKeyPairSync('rsa', { modulusLength: 3072 });
  }
}

export class FakeHsm implements Hsm {
  readonly keys = new Map<string, Entry>();
  generated = 0;
  signCalls = 0;
  /** When set, every signature comes back with one bit flipped: a faulty token. */
  corrupt = false;

  async generateKeyPair(spec: { algo: KeyAlgo; label: string }): Promise<KeyPairInfo> {
    const { privateKey, publicKey } = softwareKey(spec.algo);
    return this.add(spec.label, spec.algo, privateKey, publicKey);
  }

  /** Puts an existing software key in the token (a key shared with openssl in a test). */
  add(label: string, algo: KeyAlgo, privateKey: KeyObject, publicKey: KeyObject): KeyPairInfo {
    const keyId = randomBytes(8).toString('hex');
    const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    this.keys.set(keyId, { label, privateKey, spki, algo });
    this.generated++;
    return { keyId, spki };
  }

  async destroyKeyPair(keyId: string): Promise<number> {
    return this.keys.delete(keyId) ? 2 : 0;
  }

  async findKeyPair(label: string): Promise<KeyPairInfo | null> {
    for (const [keyId, e] of this.keys) if (e.label === label) return { keyId, spki: e.spki };
    return null;
  }

  async signDigest(keyId: string, scheme: DigestSignScheme, digest: Uint8Array): Promise<Uint8Array> {
    const e = this.keys.get(keyId);
    if (!e) throw new Error('CKR_KEY_HANDLE_INVALID');
    this.signCalls++;
    let sig: Uint8Array;
    if (scheme.kind === 'ecdsa') {
      const d = Buffer.from(e.privateKey.export({ format: 'jwk' }).d!, 'base64url');
      const curve = e.algo === 'EC-P256' ? p256 : e.algo === 'EC-P384' ? p384 : undefined;
      if (!curve) throw new Error('CKR_KEY_TYPE_INCONSISTENT');
      sig = curve.sign(digest, d, { prehash: false, format: 'der' });
    } else if (scheme.kind === 'rsa-pkcs1') {
      const info = Buffer.concat([Buffer.from(DIGEST_INFO[scheme.hash], 'hex'), digest]);
      sig = new Uint8Array(privateEncrypt({ key: e.privateKey, padding: constants.RSA_PKCS1_PADDING }, info));
    } else {
      throw new Error('CKR_MECHANISM_INVALID');
    }
    if (this.corrupt) sig[sig.length - 1]! ^= 0x01;
    return sig;
  }

  async verifyDigest(): Promise<boolean> {
    throw new Error('not used by sam/ca');
  }
  async ensureSecretKey(): Promise<boolean> {
    throw new Error('not used by sam/ca');
  }
  async encrypt(): Promise<Uint8Array> {
    throw new Error('not used by sam/ca');
  }
  async decrypt(): Promise<Uint8Array> {
    throw new Error('not used by sam/ca');
  }
  sessions() {
    return { size: 1, inUse: 0, waiting: 0 };
  }

  async close(): Promise<void> {}
}

/** CaStore in memory, counting writes. */
export function memoryStore(): { get(label: string): Promise<Uint8Array | null>; put(label: string, der: Uint8Array): Promise<void>; puts: number; map: Map<string, Uint8Array> } {
  const map = new Map<string, Uint8Array>();
  return {
    map,
    puts: 0,
    async get(label) {
      return map.get(label) ?? null;
    },
    async put(label, der) {
      this.puts++;
      map.set(label, der);
    },
  };
}
