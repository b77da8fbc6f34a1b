// The authorization server's secrets at rest (issue #14 finding 7): its ES256 signing JWKs and cookie keys are kept in
// authz.oauth_keys, and a reader of that table could mint access tokens with them. authz therefore stores only what
// this module makes: AES-256-GCM inside the token (CKM_AES_GCM through the Hsm port, a fresh 96-bit IV per seal, NIST
// SP 800-38D §8.2) under `rssp-authz-secret-wrap`, a key of the SAM's own, sensitive and never extractable. The row's
// kid and use are the associated data, so a blob copied to another row (the cookie key's into the signing key's row)
// fails its tag like a flipped byte does.
//
// The wrap key is made on first use, not at the SAM's start: in split mode the SAM may be upgraded and started long
// before the first api that seals, and the call that creates the key is the one that may seal older plaintext rows
// as they stand (keyCreated). Its own label, apart from the OTP seeds' key, so that either can be rotated alone.
import { randomUUID } from 'node:crypto';
import { SamError, type AuthzSecretRef, type SealedAuthzSecret } from '../../core/sam_port.ts';
import { auditFailure } from '../audit/audit_log.ts';
import { HsmError } from '../hsm/hsm.ts';
import type { SamDeps } from './deps.ts';
import { toSamError } from './hsm_errors.ts';

export const AUTHZ_SECRET_LABEL = 'rssp-authz-secret-wrap';

/** Version tag of the sealed text: `v1.` then base64url of IV ‖ ciphertext ‖ tag. */
const PREFIX = 'v1.';

/** What is bound to the ciphertext besides the key: a version and the row. */
function aad(ref: AuthzSecretRef): Buffer {
  return Buffer.from(JSON.stringify(['rssp-authz-secret-v1', ref.kid, ref.use]), 'utf8');
}

/** Failures of the tag check (and a key that is not there): the blob is not one of ours. */
const NOT_OURS = new Set(['CKR_ENCRYPTED_DATA_INVALID', 'CKR_ENCRYPTED_DATA_LEN_RANGE', 'CKR_KEY_HANDLE_INVALID']);

export type AuthzSecrets = {
  seal(cmd: AuthzSecretRef & { plaintext: Uint8Array }): Promise<SealedAuthzSecret>;
  open(cmd: AuthzSecretRef & { sealed: string }): Promise<{ plaintext: Uint8Array }>;
};

export function authzSecrets(d: Pick<SamDeps, 'hsm' | 'keys' | 'log'>): AuthzSecrets {
  // Settled once per process. `created` is handed to exactly one caller: the first seal after the key was made here.
  let ensured: Promise<void> | null = null;
  let created = false;
  const ensure = () =>
    (ensured ??= d.hsm.ensureSecretKey(AUTHZ_SECRET_LABEL).then(
      (made) => {
        created = made;
        if (made) d.log.info({ event: 'sam.authz_secret.key_created', label: AUTHZ_SECRET_LABEL }, 'wrap key of the authorization server created in the HSM');
      },
      (err: unknown) => {
        ensured = null; // the HSM was unavailable: the next call tries again
        throw err;
      },
    ));

  return {
    async seal(cmd) {
      try {
        await ensure();
        const sealed = await d.hsm.encrypt(AUTHZ_SECRET_LABEL, cmd.plaintext, aad(cmd));
        const keyCreated = created;
        created = false;
        // The scope is the SAD key's thumbprint, as for sam.ca's rows: a fingerprint of a key only this token holds.
        return { sealed: PREFIX + Buffer.from(sealed).toString('base64url'), scope: d.keys.sadKid, keyCreated };
      } catch (err) {
        throw toSamError(err);
      }
    },

    async open(cmd) {
      const invalid = (why: string) => {
        d.log.error({ event: 'sam.authz_secret.invalid', kid: cmd.kid, use: cmd.use, why }, 'a secret of the authorization server does not open');
        return new SamError('SAM_AUTHZ_SECRET_INVALID', why);
      };
      if (!cmd.sealed.startsWith(PREFIX)) throw invalid('not a sealed secret');
      const body = Buffer.from(cmd.sealed.slice(PREFIX.length), 'base64url');
      // base64url decoding skips what is not of its alphabet: a changed character must not pass as a shorter blob.
      if (body.toString('base64url') !== cmd.sealed.slice(PREFIX.length)) throw invalid('not a sealed secret');
      try {
        // No ensure(): opening never creates the key. Without it nothing can have been sealed, and the call fails.
        return { plaintext: await d.hsm.decrypt(AUTHZ_SECRET_LABEL, body, aad(cmd)) };
      } catch (err) {
        if (err instanceof HsmError && NOT_OURS.has(err.ckr)) throw invalid(err.ckr);
        throw toSamError(err);
      }
    },
  };
}

/** `open`, with a row in the audit trail for every blob that does not open (a tampered or moved secret is a security
 *  event, not only a log line). An HSM fault is not audited here: it says nothing about the row. */
export function auditedOpen(d: Pick<SamDeps, 'db' | 'log'>, secrets: AuthzSecrets): AuthzSecrets['open'] {
  return async (cmd) => {
    try {
      return await secrets.open(cmd);
    } catch (err) {
      if (err instanceof SamError && err.code === 'SAM_AUTHZ_SECRET_INVALID') {
        // Asked by the authorization server at its start or on a key rotation, not by a request: a context of its own.
        await auditFailure(d.db, d.log, { event: 'integrity', ctx: { requestId: randomUUID() }, detail: { object: 'authz.oauth_keys', kid: cmd.kid, use: cmd.use } }, err);
      }
      throw err;
    }
  };
}
