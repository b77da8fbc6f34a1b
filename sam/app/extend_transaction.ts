// credentials/extendTransaction in the SAM (CSC v2 §11.9): a new SAD for what an unexpired SAD still authorizes,
// so that a multi-signature transaction can outlive one SAD's lifetime without asking the person again.
//
// Decisions (docs/architecture.md "Transaction extension"):
// - The new SAD is bound to the same signer, client, credential, hash algorithm and the *same remaining hashes*
//   (or remaining count, for a count-only SCAL 1 SAD). Hashes the request lists must be among those: an extension
//   never authorizes new content. At SCAL 2 the request must list at least one (§11.9 "SHALL be used").
// - The old SAD is superseded: revoked in the same transaction that stores the new one, so the two can never
//   be spent together; one SAD is extended at most once.
// - Policy bound: the transaction ends SAD_MAX_TRANSACTION_SECONDS after the authorization that started it; the
//   new SAD's expiry is capped there, and an extension after that point is refused. An expired SAD cannot be
//   extended (§11.9).
import { randomBytes } from 'node:crypto';
import { tx } from '../../core/db.ts';
import { SamError, type SignatureActivation } from '../../core/sam_port.ts';
import { auditFailure, writeAudit, type AuditDraft } from '../audit/audit_log.ts';
import { getCredential } from '../store/credentials.ts';
import { takeFromMultiset } from '../store/multiset.ts';
import { lockSadForExtension, supersedeSad } from '../store/sad_extensions.ts';
import { requireCertificateValid, requireEnabled, requireUnlocked } from './checks/credential.ts';
import { requireHashLengths, requireKnownHashAlg } from './checks/hashes.ts';
import { requireClient, requireCredentialExists, requireOwner, requireSadForCredential, requireSadLive } from './checks/sad.ts';
import type { SamDeps } from './deps.ts';
import type { SadClaims } from './sad/claims.ts';
import { hashListCommitment } from './sad/commitment.ts';
import { mintSad } from './sad/mint.ts';
import { requireNotExpired, verifySadToken } from './sad/verify.ts';

type ExtendCmd = Parameters<SignatureActivation['extendTransaction']>[0];

export const DEFAULT_MAX_TRANSACTION_SECONDS = 3600;

const EXTEND_EVENT = 'extend' as AuditDraft['event'];

export async function extendTransaction(deps: SamDeps, cmd: ExtendCmd): Promise<{ sad: string; expiresIn: number }> {
  const draft: AuditDraft = {
    event: EXTEND_EVENT,
    ctx: cmd.ctx,
    userId: cmd.userId,
    clientId: cmd.clientId,
    credentialId: cmd.credentialID,
    hashes: cmd.hashes,
    hashAlg: cmd.hashAlgorithmOID,
  };
  try {
    const now = deps.now();
    const claims = await verifySadToken(cmd.sad, deps.keys); // SAM_SAD_INVALID
    draft.sadJti = claims.jti;
    requireNotExpired(claims, now); // SAM_SAD_EXPIRED: §11.9 "Expired SAD cannot be extended"
    requireSadForCredential(claims, cmd.credentialID); // SAM_SAD_WRONG_CREDENTIAL
    const cred = requireCredentialExists(await getCredential(deps.db, deps.credentialSeal, cmd.credentialID));
    requireOwner(claims, cred, cmd.userId); // SAM_NOT_OWNER
    requireClient(claims, cmd.clientId); // SAM_WRONG_CLIENT
    requireEnabled(cred);
    requireUnlocked(cred);
    requireCertificateValid(cred, now);
    const listed = cmd.hashes?.length ? cmd.hashes : null;
    if (!listed && cred.scal === '2') throw new SamError('SAM_HASHES_REQUIRED');

    const result = await tx(deps.db, async (c) => {
      const row = await lockSadForExtension(c, claims.jti);
      // Under the lock: a parallel extension or signHash may have landed since the token was read.
      const old = requireSadLive(row && { ...row }, claims); // SAM_SAD_INVALID / SAM_SAD_REVOKED
      if (old.expiresAt.getTime() <= now.getTime()) throw new SamError('SAM_SAD_EXPIRED');
      const remaining = old.n - old.used;
      if (remaining < 1) throw new SamError('SAM_SAD_EXHAUSTED', 'nothing left to extend');
      if (listed) {
        if (cmd.hashAlgorithmOID !== undefined || old.hashAlg) {
          const alg = requireKnownHashAlg(cmd.hashAlgorithmOID ?? old.hashAlg ?? undefined);
          if (old.hashAlg && alg.oid !== old.hashAlg) throw new SamError('SAM_HASH_ALG_MISMATCH');
          requireHashLengths(listed, alg.length);
        }
        // The listed hashes must be ones the SAD still covers (each occurrence at most once).
        if (old.hashes && !takeFromMultiset(old.hashes, listed)) throw new SamError('SAM_HASH_NOT_AUTHORIZED');
        if (listed.length > remaining) throw new SamError('SAM_SAD_EXHAUSTED', `${remaining} signature(s) left`);
      }

      const originAt = row?.originAt ?? new Date(claims.iat * 1000);
      const end = originAt.getTime() + deps.config.sadMaxTransactionSeconds * 1000;
      // Nothing to gain once the SAD already ends where the transaction must: refused rather than re-minted.
      if (end <= now.getTime() || old.expiresAt.getTime() >= end) throw new SamError('SAM_SAD_EXTENSION_LIMIT');
      const iat = Math.floor(now.getTime() / 1000);
      const exp = Math.min(iat + deps.config.sadLifetimeSeconds, Math.floor(end / 1000));
      if (exp <= iat) throw new SamError('SAM_SAD_EXTENSION_LIMIT');
      const next: SadClaims = {
        sub: claims.sub,
        cid: claims.cid,
        azp: claims.azp,
        ...(old.hashAlg ? { hashAlg: old.hashAlg } : {}),
        n: remaining,
        ...(old.hashes ? { hsh: hashListCommitment(old.hashes) } : {}),
        // The factors were checked at the authorization that started the transaction; the extension inherits them.
        amr: claims.amr,
        jti: randomBytes(16).toString('base64url'),
        iat,
        exp,
      };
      const sad = await mintSad(deps.hsm, deps.keys, next);
      await supersedeSad(
        c,
        old.jti,
        {
          jti: next.jti,
          userId: old.userId,
          clientId: old.clientId,
          credentialId: old.credentialId,
          hashAlg: old.hashAlg,
          n: remaining,
          hashes: old.hashes,
          expiresAt: new Date(exp * 1000),
          originAt,
        },
        now,
      );
      draft.amr = claims.amr;
      draft.numSignatures = remaining;
      await writeAudit(c, { ...draft, sadJti: next.jti }, 'ok');
      return { sad, expiresIn: exp - iat, jti: next.jti };
    });
    deps.log.info({ event: 'sam.extend', credentialID: cmd.credentialID, from: claims.jti, jti: result.jti }, 'SAD extended');
    return { sad: result.sad, expiresIn: result.expiresIn };
  } catch (err) {
    await auditFailure(deps.db, deps.log, draft, err);
    throw err;
  }
}
