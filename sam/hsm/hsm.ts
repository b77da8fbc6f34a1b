// What the SAM needs from a key store. The PKCS#11 implementation lives in sam/hsm/pkcs11/ (the only code that
// imports pkcs11js); unit tests of sam/app may use a fake of this interface.
import type { HashName } from '../../core/algorithms.ts';
import type { KeyAlgo } from '../../core/sam_port.ts';

/** How to sign a digest. The digest is what the client hashed; the HSM never re-hashes it (DESIGN §2.4). */
export type DigestSignScheme =
  | { kind: 'ecdsa' }
  /** PKCS#1 v1.5 over DER DigestInfo { hash, digest } built by the backend. */
  | { kind: 'rsa-pkcs1'; hash: HashName }
  | { kind: 'rsa-pss'; hash: HashName; mgfHash: HashName; saltLength: number };

export type KeyPairInfo = {
  /** Hex of CKA_ID; stable reference to the key pair in the token. */
  keyId: string;
  /** DER SubjectPublicKeyInfo. */
  spki: Uint8Array;
};

export interface Hsm {
  /** Generates a key pair inside the token: private key CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, not extractable. */
  generateKeyPair(spec: { algo: KeyAlgo; label: string }): Promise<KeyPairInfo>;

  /** Destroys both objects of the pair `keyId` in the token (C_DestroyObject, private key first). Resolves to the
   *  number of objects destroyed: 0 when the pair was already gone, so a retried deletion is not an error. */
  destroyKeyPair(keyId: string): Promise<number>;

  /** Looks a key pair up by label (for the SAM's own keys: SAD signing key, CA key); null when absent. */
  findKeyPair(label: string): Promise<KeyPairInfo | null>;

  /** Signs a digest with the private key `keyId`. ECDSA output is DER Ecdsa-Sig-Value; RSA output is the raw
   *  signature. Does not verify; the caller does (DESIGN §2.4). */
  signDigest(keyId: string, scheme: DigestSignScheme, digest: Uint8Array): Promise<Uint8Array>;

  /** Verifies with the public key object of the pair inside the token (CKM_ECDSA / RSA mechanisms), for schemes
   *  that Node's crypto cannot verify over a bare digest (ECDSA). Takes the DER form that signDigest returns. */
  verifyDigest(keyId: string, scheme: DigestSignScheme, digest: Uint8Array, signature: Uint8Array): Promise<boolean>;

  /** Creates a non-extractable AES-256 secret key with this label if none exists; true when this call created it
   *  (callers waiting on the same creation in this process all see true). */
  ensureSecretKey(label: string): Promise<boolean>;

  /** Authenticated encryption under the secret key `label` (AES-GCM inside the token). Output carries its IV. */
  encrypt(label: string, plaintext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  decrypt(label: string, ciphertext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;

  /** The session pool right now, for metrics: sessions opened or to open, those in use, callers waiting. */
  sessions(): { size: number; inUse: number; waiting: number };

  close(): Promise<void>;
}

/** A PKCS#11 failure, keeping the CKR_* name (e.g. CKR_DEVICE_ERROR) so that it can be mapped and logged. */
export class HsmError extends Error {
  constructor(
    readonly ckr: string,
    message?: string,
    options?: { cause?: unknown },
  ) {
    super(message ? `${ckr}: ${message}` : ckr, options);
    this.name = 'HsmError';
  }
}
