// credentials/authorize in the SAM (CSC v2 §11.8, DESIGN §2.1–2.2): check the credential, the request and the
// signer's factors, then mint a SAD bound to signer, client, credential and the exact hashes. Every attempt
// leaves one audit row.
import { randomBytes } from 'node:crypto';
import { SamError, type Scal, type SignatureActivation } from '../../core/sam_port.ts';
import { auditAppendCall, auditFailure, writeAudit, type AuditDraft } from '../audit/audit_log.ts';
import { sealSoon } from '../audit/seal.ts';
import { getSealedCredential } from '../store/credentials.ts';
import { insertSad } from '../store/sads.ts';
import { requireCertificateValid, requireEnabled, requireOwnedBy, requireUnlocked } from './checks/credential.ts';
import { requireHashLengths, requireKnownHashAlg, requireNumSignatures } from './checks/hashes.ts';
import type { SamDeps } from './deps.ts';
import { checkFactors, requiredFactors } from './factors/check_factors.ts';
import type { SadClaims } from './sad/claims.ts';
import { hashListCommitment } from './sad/commitment.ts';
import { mintSad } from './sad/mint.ts';
import { sadLifetimeFor } from './seal_batch.ts';

type ActivateCmd = Parameters<SignatureActivation['activate']>[0];

export async function activate(deps: SamDeps, cmd: ActivateCmd): Promise<{ sad: string; expiresIn: number }> {
  const draft: AuditDraft = {
    event: 'activate',
    ctx: cmd.ctx,
    userId: cmd.userId,
    clientId: cmd.clientId,
    credentialId: cmd.credentialID,
    numSignatures: cmd.numSignatures,
    hashes: cmd.hashes,
    hashAlg: cmd.hashAlgorithmOID,
  };
  try {
    const now = deps.now();
    const found = await getSealedCredential(deps.db, deps.credentialSeal, cmd.credentialID);
    if (found) deps.recentCredentials.remember(found.record, found.seal); // for the SAD's signHash (one statement)
    const cred = requireOwnedBy(found?.record ?? null, cmd.userId);
    requireEnabled(cred);
    requireUnlocked(cred); // before the factors: once locked, the right factors do not help
    requireCertificateValid(cred, now);
    requireNumSignatures(cmd.numSignatures, cred.multisign);
    const bound = hashesToBind(cmd, cred.scal);
    const lifetime = sadLifetimeFor(deps.config, cred, cmd.numSignatures, bound.hashes); // a seal batch's window
    const required = await requiredFactors(factorDeps(deps), cred, cmd.userId, cmd.factors);
    const amr = await checkFactors({ ...factorDeps(deps), onLocked: (n, failed) => auditLockout(deps, draft, n, failed) }, cred, cmd.userId, cmd.factors, required);
    draft.amr = amr;

    const iat = Math.floor(now.getTime() / 1000);
    const claims: SadClaims = {
      sub: cmd.userId,
      cid: cmd.credentialID,
      azp: cmd.clientId,
      ...(bound.hashAlg ? { hashAlg: bound.hashAlg } : {}),
      n: cmd.numSignatures,
      ...(bound.hashes ? { hsh: hashListCommitment(bound.hashes) } : {}),
      amr,
      jti: randomBytes(16).toString('base64url'),
      iat,
      exp: iat + lifetime,
    };
    draft.sadJti = claims.jti;
    const sad = await mintSad(deps.hsm, deps.keys, claims);
    // The SAD's row and its audit row in one statement: they commit together or not at all.
    await insertSad(
      deps.db,
      {
        jti: claims.jti,
        userId: cmd.userId,
        clientId: cmd.clientId,
        credentialId: cmd.credentialID,
        hashAlg: bound.hashAlg,
        n: cmd.numSignatures,
        hashes: bound.hashes,
        expiresAt: new Date(claims.exp * 1000),
      },
      (first) => auditAppendCall(draft, 'ok', undefined, first),
    );
    sealSoon();
    deps.log.info({ event: 'sam.activate', credentialID: cmd.credentialID, jti: claims.jti, n: claims.n, amr }, 'SAD issued');
    return { sad, expiresIn: lifetime };
  } catch (err) {
    await auditFailure(deps.db, deps.log, draft, err);
    throw err;
  }
}

/**
 * The hashes the SAD will authorize (CSC v2 §11.8 hashes, hashAlgorithmOID). At SCAL 2 they are mandatory and
 * there is one per signature (DESIGN §2: the SAD binds the exact DTBS/R); at SCAL 1 they are optional and, when
 * given, bind just as strictly. A count-only SAD has hashes null.
 */
function hashesToBind(cmd: ActivateCmd, scal: Scal): { hashes: Uint8Array[] | null; hashAlg: string | null } {
  const hashes = cmd.hashes?.length ? cmd.hashes : null;
  if (!hashes) {
    if (scal === '2') throw new SamError('SAM_HASHES_REQUIRED');
    return { hashes: null, hashAlg: cmd.hashAlgorithmOID === undefined ? null : requireKnownHashAlg(cmd.hashAlgorithmOID).oid };
  }
  if (hashes.length !== cmd.numSignatures) {
    throw new SamError('SAM_HASH_COUNT_MISMATCH', `${hashes.length} hashes for ${cmd.numSignatures} signatures`);
  }
  const alg = requireKnownHashAlg(cmd.hashAlgorithmOID);
  requireHashLengths(hashes, alg.length);
  return { hashes: hashes.map((h) => new Uint8Array(h)), hashAlg: alg.oid };
}

/** The failure that locks a credential is a security event of its own (issue #4 item 5), next to the refused
 *  activation row. A failed write is logged: the lock itself is already durable. */
async function auditLockout(deps: SamDeps, draft: AuditDraft, failures: number, failed: 'pin' | 'otp'): Promise<void> {
  const lockout: AuditDraft = {
    event: 'lockout',
    ctx: draft.ctx,
    userId: draft.userId,
    clientId: draft.clientId,
    credentialId: draft.credentialId,
    // The factor whose failure tipped the count; each failure's own row names its factor in error_code.
    detail: { failures, lastFailed: failed },
  };
  await writeAudit(deps.db, lockout, 'ok').catch((err) => deps.log.error({ err, event: 'lockout' }, 'audit row not written'));
}

function factorDeps(deps: SamDeps) {
  return { db: deps.db, hsm: deps.hsm, now: deps.now, maxFailures: deps.config.maxFailures, failureFloorMs: deps.config.factorFailureFloorMs };
}
