// The Hsm of the SAM over a PKCS#11 token (DESIGN §2, §6). Everything that touches the token goes through the
// session pool, so that a lost session is recovered in one place. Calls that can take a while on a real device
// (key generation, sign, verify, encrypt, decrypt) use pkcs11js' async variants, which run on libuv's thread pool
// and keep the event loop free; object lookups are synchronous because pkcs11js offers nothing else and they are
// metadata reads.
import { randomBytes } from 'node:crypto';
import { endianness } from 'node:os';
import type { Handle, Template } from 'pkcs11js';
import type { KeyAlgo } from '../../../core/sam_port.ts';
import type { Logger } from '../../../core/log.ts';
import { HsmError, type DigestSignScheme, type Hsm, type KeyPairInfo } from '../hsm.ts';
import { recoveryFor, toHsmError } from './ckr.ts';
import { CURVES, curveByParams, type CurveName } from './ec_curves.ts';
import { EcdsaEncodingError, ecdsaDerToRaw, ecdsaRawToDer } from '../../../core/ecdsa_der.ts';
import { signInput } from './mechanisms.ts';
import { acquireModule, pkcs11js as P, releaseModule, type Pkcs11 } from './module.ts';
import { SessionPool } from './session_pool.ts';
import { ecSpki, rsaSpki, unwrapEcPoint } from './spki.ts';
import { keyPairTemplates, secretKeyTemplate } from './templates.ts';

export type Pkcs11HsmOptions = {
  /** Path of the PKCS#11 library. */
  module: string;
  /** CKA label of the token (the padded 32-byte label, compared without its trailing blanks). */
  tokenLabel: string;
  /** User PIN. Kept in memory only to log in again after a lost session; never logged. */
  pin: string;
  /** Sessions kept open and logged in. */
  sessions: number;
  log?: Logger;
};

type KeyEntry = { priv: Handle; pub: Handle | null; keyType: 'EC' | 'RSA'; curve?: CurveName };

/** GCM nonce and tag sizes: 96-bit IV as NIST SP 800-38D §8.2 recommends, full 128-bit tag (§5.2.1.2). */
const GCM_IV_BYTES = 12;
const GCM_TAG_BYTES = 16;
/** Room for an RSA-8192 signature; the token reports the real length. */
const MAX_SIGNATURE_BYTES = 1024;

/** Used by test_hooks.ts only: closes every session of the token underneath the pool. */
export const DROP_ALL_SESSIONS = Symbol('dropAllSessions');
export const READ_PRIVATE_VALUE = Symbol('readPrivateValue');
export const COUNT_OBJECTS = Symbol('countObjects');

export class Pkcs11Hsm implements Hsm {
  private readonly keys = new Map<string, KeyEntry>();
  /** Handles of the AES keys per label, as secretKeys() last found them (see there). */
  private readonly secrets = new Map<string, Handle[]>();
  private readonly ensuring = new Map<string, Promise<boolean>>();
  private readonly pool: SessionPool<Handle>;
  private closed = false;

  private constructor(
    private readonly p11: Pkcs11,
    private slot: Handle,
    private readonly opts: Pkcs11HsmOptions,
  ) {
    this.pool = new SessionPool<Handle>(
      { open: async () => this.openSession(), close: (s) => this.p11.C_CloseSession(s) },
      opts.sessions,
      {
        onRecover: (kind, err) => {
          // Handles of private objects may not survive a logout; looking them up again is cheap.
          this.keys.clear();
          this.secrets.clear();
          opts.log?.warn({ ckr: err.ckr, recovery: kind }, 'PKCS#11 operation failed, retrying once');
        },
      },
    );
  }

  static async open(opts: Pkcs11HsmOptions): Promise<Pkcs11Hsm> {
    const p11 = acquireModule(opts.module);
    try {
      const slot = findSlot(p11, opts.module, opts.tokenLabel);
      const hsm = new Pkcs11Hsm(p11, slot, opts);
      try {
        await hsm.pool.start();
      } catch (err) {
        await hsm.pool.close();
        throw err;
      }
      opts.log?.info({ module: opts.module, token: opts.tokenLabel, sessions: opts.sessions }, 'PKCS#11 token ready');
      return hsm;
    } catch (err) {
      releaseModule(opts.module);
      throw toHsmError(err);
    }
  }

  async generateKeyPair(spec: { algo: KeyAlgo; label: string }): Promise<KeyPairInfo> {
    const id = randomBytes(16);
    const t = keyPairTemplates(spec.algo, id, spec.label);
    return this.pool.run(async (s) => {
      const pair = await this.p11.C_GenerateKeyPairAsync(s, { mechanism: t.mechanism }, t.publicKey, t.privateKey);
      const { entry, spki } = this.describe(s, pair.privateKey, pair.publicKey);
      const keyId = id.toString('hex');
      this.keys.set(keyId, entry);
      return { keyId, spki };
    });
  }

  async destroyKeyPair(keyId: string): Promise<number> {
    const id = parseKeyId(keyId);
    this.keys.delete(keyId);
    return this.pool.run(async (s) => {
      // Every object with this CKA_ID: the private key first, so that no moment leaves it without its public half
      // being the only trace. Found afresh (not from the cache): another process may have made or removed them.
      let destroyed = 0;
      for (const cls of [P.CKO_PRIVATE_KEY, P.CKO_PUBLIC_KEY]) {
        for (const h of this.find(s, [{ type: P.CKA_CLASS, value: cls }, { type: P.CKA_ID, value: id }])) {
          this.p11.C_DestroyObject(s, h);
          destroyed++;
        }
      }
      return destroyed;
    });
  }

  async findKeyPair(label: string): Promise<KeyPairInfo | null> {
    return this.pool.run(async (s) => {
      const privs = this.find(s, [
        { type: P.CKA_CLASS, value: P.CKO_PRIVATE_KEY },
        { type: P.CKA_LABEL, value: label },
      ]);
      if (privs.length === 0) return null;
      // Deterministic choice if a label was ever reused: the smallest CKA_ID.
      const [first] = privs.map((h) => ({ h, id: this.attr(s, h, P.CKA_ID) })).sort((a, b) => Buffer.compare(a.id, b.id));
      const keyId = first!.id.toString('hex');
      const pub = this.findOne(s, P.CKO_PUBLIC_KEY, first!.id);
      if (!pub) throw new HsmError('CKR_KEY_HANDLE_INVALID', `the public key of pair "${label}" is missing`);
      const { entry, spki } = this.describe(s, first!.h, pub);
      this.keys.set(keyId, entry);
      return { keyId, spki };
    });
  }

  async signDigest(keyId: string, scheme: DigestSignScheme, digest: Uint8Array): Promise<Uint8Array> {
    const id = parseKeyId(keyId);
    const input = signInput(scheme, digest); // length checks before the token is touched
    return this.pool.run(async (s) => {
      const key = this.keyEntry(s, keyId, id);
      checkKeyType(key, input.keyType);
      this.p11.C_SignInit(s, input.mechanism, key.priv);
      const sig = await this.p11.C_SignAsync(s, input.data, Buffer.alloc(MAX_SIGNATURE_BYTES));
      // CKM_ECDSA returns r || s; callers get the DER form CMS and CSC clients expect.
      return scheme.kind === 'ecdsa' ? ecdsaRawToDer(sig) : new Uint8Array(sig);
    });
  }

  async verifyDigest(keyId: string, scheme: DigestSignScheme, digest: Uint8Array, signature: Uint8Array): Promise<boolean> {
    const id = parseKeyId(keyId);
    const input = signInput(scheme, digest);
    return this.pool.run(async (s) => {
      const key = this.keyEntry(s, keyId, id);
      checkKeyType(key, input.keyType);
      if (!key.pub) throw new HsmError('CKR_KEY_HANDLE_INVALID', `no public key with id ${keyId}`);
      let sig: Buffer;
      if (scheme.kind === 'ecdsa') {
        try {
          sig = Buffer.from(ecdsaDerToRaw(signature, CURVES[key.curve!].size));
        } catch (err) {
          if (err instanceof EcdsaEncodingError) return false;
          throw err;
        }
      } else {
        sig = Buffer.from(signature);
      }
      this.p11.C_VerifyInit(s, input.mechanism, key.pub);
      try {
        return await this.p11.C_VerifyAsync(s, input.data, sig);
      } catch (err) {
        const e = toHsmError(err);
        if (e.ckr === 'CKR_SIGNATURE_INVALID' || e.ckr === 'CKR_SIGNATURE_LEN_RANGE') return false;
        throw e;
      }
    });
  }

  async ensureSecretKey(label: string): Promise<boolean> {
    // Serialised per label within the process, so that concurrent start-up paths create one key, not two.
    const pending = this.ensuring.get(label);
    if (pending) return pending;
    const p = this.pool
      .run(async (s) => {
        if (this.secretKeys(s, label, { fresh: true }).length > 0) return false;
        await this.p11.C_GenerateKeyAsync(s, { mechanism: P.CKM_AES_KEY_GEN }, secretKeyTemplate(randomBytes(16), label));
        return true;
      })
      .finally(() => this.ensuring.delete(label));
    this.ensuring.set(label, p);
    return p;
  }

  async encrypt(label: string, plaintext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array> {
    return this.pool.run(async (s) => {
      const key = this.secretKeys(s, label)[0];
      if (!key) throw new HsmError('CKR_KEY_HANDLE_INVALID', `no secret key labelled "${label}"`);
      const iv = randomBytes(GCM_IV_BYTES);
      this.p11.C_EncryptInit(s, gcm(iv, aad), key);
      const out = await this.p11.C_EncryptAsync(s, Buffer.from(plaintext), Buffer.alloc(plaintext.length + GCM_TAG_BYTES));
      return new Uint8Array(Buffer.concat([iv, out]));
    });
  }

  async decrypt(label: string, ciphertext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array> {
    if (ciphertext.length < GCM_IV_BYTES + GCM_TAG_BYTES) {
      throw new HsmError('CKR_ENCRYPTED_DATA_LEN_RANGE', 'ciphertext shorter than IV and tag');
    }
    const iv = Buffer.from(ciphertext.subarray(0, GCM_IV_BYTES));
    const body = Buffer.from(ciphertext.subarray(GCM_IV_BYTES));
    return this.pool.run(async (s) => {
      // Normally one key. Two only if two processes raced in ensureSecretKey: data under either stays readable. The
      // cached list may predate the other process's key, so a ciphertext no cached key opens is tried once more
      // under the keys a fresh look-up adds.
      const tried = new Set<Handle>();
      for (const fresh of [false, true]) {
        for (const key of this.secretKeys(s, label, { fresh })) {
          if (tried.has(key)) continue;
          tried.add(key);
          this.p11.C_DecryptInit(s, gcm(iv, aad), key);
          try {
            return new Uint8Array(await this.p11.C_DecryptAsync(s, body, Buffer.alloc(body.length)));
          } catch (err) {
            const e = toHsmError(err);
            if (recoveryFor(e) !== null) throw e; // the pool recovers the session and retries
            // A failed tag check is CKR_ENCRYPTED_DATA_INVALID on most tokens, CKR_GENERAL_ERROR on SoftHSM.
            if (!AUTH_FAILURE.has(e.ckr)) throw e;
          }
        }
      }
      if (tried.size === 0) throw new HsmError('CKR_KEY_HANDLE_INVALID', `no secret key labelled "${label}"`);
      throw new HsmError('CKR_ENCRYPTED_DATA_INVALID', 'ciphertext or associated data failed authentication');
    });
  }

  /** Tries to read CKA_VALUE (EC) or CKA_PRIVATE_EXPONENT (RSA) of a private key, for tests that prove it fails
   *  (test_hooks.ts). Not on the Hsm interface: nothing in the service reads a private value. */
  async [READ_PRIVATE_VALUE](keyId: string): Promise<Uint8Array> {
    const id = parseKeyId(keyId);
    return this.pool.run(async (s) => {
      const key = this.keyEntry(s, keyId, id);
      const type = key.keyType === 'EC' ? P.CKA_VALUE : P.CKA_PRIVATE_EXPONENT;
      return new Uint8Array(this.attr(s, key.priv, type));
    });
  }

  /** Every object of the token visible to the logged-in user (an empty C_FindObjects template), for tests that
   *  prove a deletion left nothing behind (test_hooks.ts). */
  async [COUNT_OBJECTS](): Promise<number> {
    return this.pool.run(async (s) => this.find(s, []).length);
  }

  sessions(): { size: number; inUse: number; waiting: number } {
    return { size: this.pool.size, inUse: this.pool.inUse, waiting: this.pool.queued };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
    this.keys.clear();
    this.secrets.clear();
    releaseModule(this.opts.module);
  }

  /** Test hook (see test_hooks.ts): every pooled session becomes invalid at once, and the login with them. */
  [DROP_ALL_SESSIONS](): void {
    this.p11.C_CloseAllSessions(this.slot);
  }

  private openSession(): Handle {
    let s: Handle;
    try {
      s = this.p11.C_OpenSession(this.slot, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION);
    } catch (err) {
      const e = toHsmError(err);
      if (e.ckr !== 'CKR_SLOT_ID_INVALID' && e.ckr !== 'CKR_TOKEN_NOT_PRESENT') throw e;
      // A re-inserted token (or a re-initialised SoftHSM) can come back in another slot.
      this.slot = findSlot(this.p11, this.opts.module, this.opts.tokenLabel);
      s = this.p11.C_OpenSession(this.slot, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION);
    }
    try {
      this.p11.C_Login(s, P.CKU_USER, this.opts.pin);
    } catch (err) {
      const e = toHsmError(err);
      // Login state is per token and application (PKCS#11 v2.40 Base §5.6): the other sessions already did it.
      if (e.ckr !== 'CKR_USER_ALREADY_LOGGED_IN') {
        try {
          this.p11.C_CloseSession(s);
        } catch {
          // keep the login error
        }
        throw e;
      }
    }
    return s;
  }

  private keyEntry(s: Handle, keyId: string, id: Buffer): KeyEntry {
    const cached = this.keys.get(keyId);
    if (cached) return cached;
    const priv = this.findOne(s, P.CKO_PRIVATE_KEY, id);
    if (!priv) throw new HsmError('CKR_KEY_HANDLE_INVALID', `no private key with id ${keyId}`);
    const pub = this.findOne(s, P.CKO_PUBLIC_KEY, id);
    const keyType = ulong(this.attr(s, priv, P.CKA_KEY_TYPE)) === P.CKK_EC ? 'EC' : 'RSA';
    const entry: KeyEntry = { priv, pub, keyType };
    if (keyType === 'EC') entry.curve = this.curveOf(s, pub ?? priv);
    this.keys.set(keyId, entry);
    return entry;
  }

  /** Key entry and SPKI of a pair, from the public key's attributes. */
  private describe(s: Handle, priv: Handle, pub: Handle): { entry: KeyEntry; spki: Uint8Array } {
    const keyType = ulong(this.attr(s, pub, P.CKA_KEY_TYPE));
    if (keyType === P.CKK_EC) {
      const curve = this.curveOf(s, pub);
      const spki = ecSpki(curve, unwrapEcPoint(this.attr(s, pub, P.CKA_EC_POINT), curve));
      return { entry: { priv, pub, keyType: 'EC', curve }, spki };
    }
    if (keyType === P.CKK_RSA) {
      const [n, e] = this.p11.C_GetAttributeValue(s, pub, [{ type: P.CKA_MODULUS }, { type: P.CKA_PUBLIC_EXPONENT }]);
      return { entry: { priv, pub, keyType: 'RSA' }, spki: rsaSpki(n!.value, e!.value) };
    }
    throw new HsmError('CKR_KEY_TYPE_INCONSISTENT', `unsupported key type 0x${keyType.toString(16)}`);
  }

  private curveOf(s: Handle, key: Handle): CurveName {
    const curve = curveByParams(this.attr(s, key, P.CKA_EC_PARAMS));
    if (!curve) throw new HsmError('CKR_CURVE_NOT_SUPPORTED', 'key is on a curve other than P-256 or P-384');
    return curve;
  }

  /** AES keys with this label, smallest CKA_ID first (the one encrypt uses). Cached per label once found (a
   *  C_FindObjects walks the token's objects: on SoftHSM it grows with every credential, and it was the largest
   *  single cost of an activation after scrypt, docs/performance.md); `fresh` looks again, as ensureSecretKey
   *  does and decrypt does when no cached key opens a ciphertext. A label with no key is never cached. Handles
   *  that went stale are dropped with the others when the pool recovers. */
  private secretKeys(s: Handle, label: string, opts: { fresh?: boolean } = {}): Handle[] {
    const cached = opts.fresh ? undefined : this.secrets.get(label);
    if (cached) return cached;
    const found = this.lookUpSecretKeys(s, label);
    if (found.length > 0) this.secrets.set(label, found);
    else this.secrets.delete(label);
    return found;
  }

  private lookUpSecretKeys(s: Handle, label: string): Handle[] {
    const found = this.find(s, [
      { type: P.CKA_CLASS, value: P.CKO_SECRET_KEY },
      { type: P.CKA_KEY_TYPE, value: P.CKK_AES },
      { type: P.CKA_LABEL, value: label },
    ]);
    if (found.length < 2) return found;
    return found
      .map((h) => ({ h, id: this.attr(s, h, P.CKA_ID) }))
      .sort((a, b) => Buffer.compare(a.id, b.id))
      .map((x) => x.h);
  }

  private findOne(s: Handle, cls: number, id: Buffer): Handle | null {
    return this.find(s, [{ type: P.CKA_CLASS, value: cls }, { type: P.CKA_ID, value: id }])[0] ?? null;
  }

  private find(s: Handle, template: Template): Handle[] {
    this.p11.C_FindObjectsInit(s, template);
    const out: Handle[] = [];
    try {
      for (;;) {
        const batch = this.p11.C_FindObjects(s, 32);
        if (batch.length === 0) break;
        out.push(...batch);
      }
    } catch (err) {
      try {
        this.p11.C_FindObjectsFinal(s);
      } catch {
        // keep the first error
      }
      throw err;
    }
    this.p11.C_FindObjectsFinal(s);
    return out;
  }

  private attr(s: Handle, object: Handle, type: number): Buffer {
    const [a] = this.p11.C_GetAttributeValue(s, object, [{ type }]);
    return a!.value;
  }
}

const AUTH_FAILURE = new Set(['CKR_ENCRYPTED_DATA_INVALID', 'CKR_GENERAL_ERROR', 'CKR_FUNCTION_FAILED']);

function gcm(iv: Buffer, aad: Uint8Array | undefined) {
  // The v2.40 CK_GCM_PARAMS layout (with ulIvBits), which SoftHSM 2.6 and current HSMs expect.
  return {
    mechanism: P.CKM_AES_GCM,
    parameter: {
      type: P.CK_PARAMS_AES_GCM_v240,
      iv,
      ivBits: iv.length * 8,
      tagBits: GCM_TAG_BYTES * 8,
      ...(aad && aad.length > 0 ? { aad: Buffer.from(aad) } : {}),
    },
  };
}

function findSlot(p11: Pkcs11, module: string, label: string): Handle {
  for (const slot of p11.C_GetSlotList(true)) {
    const info = p11.C_GetTokenInfo(slot);
    if (info.label.replace(/[\s\0]+$/, '') === label) return slot;
  }
  throw new HsmError('CKR_TOKEN_NOT_PRESENT', `no token labelled "${label}" in ${module}`);
}

function parseKeyId(keyId: string): Buffer {
  if (!/^(?:[0-9a-f]{2})+$/i.test(keyId)) throw new HsmError('CKR_ARGUMENTS_BAD', 'keyId must be a hex CKA_ID');
  return Buffer.from(keyId, 'hex');
}

function checkKeyType(key: KeyEntry, wanted: 'EC' | 'RSA'): void {
  if (key.keyType !== wanted) {
    throw new HsmError('CKR_KEY_TYPE_INCONSISTENT', `scheme needs an ${wanted} key, the key is ${key.keyType}`);
  }
}

/** CK_ULONG attribute values come back in the platform's byte order and width. */
function ulong(b: Buffer): number {
  if (b.length === 8) return Number(endianness() === 'LE' ? b.readBigUInt64LE(0) : b.readBigUInt64BE(0));
  if (b.length === 4) return endianness() === 'LE' ? b.readUInt32LE(0) : b.readUInt32BE(0);
  throw new HsmError('CKR_ATTRIBUTE_VALUE_INVALID', `unexpected CK_ULONG width ${b.length}`);
}
