// signatures/signHash in the SAM (CSC v2 §11.10, DESIGN §2.3–2.4): every check, each with its own code, then an
// atomic consumption of the SAD together with its audit row, then sign, then verify. Any doubt: no signature.
import type { KeyObject } from 'node:crypto';
import { HASHES } from '../../core/algorithms.ts';
import { tx } from '../../core/db.ts';
import { SamError, type SignatureActivation } from '../../core/sam_port.ts';
import { auditAppendCall, auditFailure, writeAudit, type AuditDraft } from '../audit/audit_log.ts';
import { sealSoon } from '../audit/seal.ts';
import type { DigestSignScheme } from '../hsm/hsm.ts';
import { consumeSad, consumeSeenSad } from '../store/sads.ts';
import type { CredentialRecord } from '../store/credentials.ts';
import { readSignState, type FreshConsumption } from '../store/sign_state.ts';
import type { SadRecord } from '../store/sads.ts';
import { requireCertificateValid, requireEnabled, requireUnlocked } from './checks/credential.ts';
import { requireHashLengths } from './checks/hashes.ts';
import { requireSignInputs } from './checks/sign_inputs.ts';
import {
  requireClient,
  requireCommittedHashes,
  requireCredentialExists,
  requireHashes,
  requireOwner,
  requireScalBinding,
  requireSadForCredential,
  requireSadLive,
} from './checks/sad.ts';
import { deleteCredential } from './delete_credential.ts';
import type { SamDeps } from './deps.ts';
import { hsmCall } from './hsm_errors.ts';
import type { SadClaims } from './sad/claims.ts';
import { hashListCommitment } from './sad/commitment.ts';
import { requireNotExpired, verifySadToken } from './sad/verify.ts';
import { planSigning, type SigningPlan } from './signing/plan.ts';
import { credentialPublicKey } from './signing/public_keys.ts';
import { verifySignature } from './signing/verify_signature.ts';

type SignHashCmd = Parameters<SignatureActivation['signHash']>[0];

export async function signHash(deps: SamDeps, cmd: SignHashCmd): Promise<{ signatures: Uint8Array[] }> {
  const draft: AuditDraft = {
    event: 'sign',
    ctx: cmd.ctx,
    userId: cmd.userId,
    clientId: cmd.clientId,
    credentialId: cmd.credentialID,
    signAlgo: cmd.signAlgo,
    hashAlg: cmd.hashAlgorithmOID,
    hashes: cmd.hashes,
    numSignatures: cmd.hashes.length,
    // signDoc: the DTBS/R hashes signed for the document digests in `hashes`, in the same order.
    ...(cmd.signInputs
      ? { detail: { signInputs: cmd.signInputs.map((i) => Buffer.from(i.hash).toString('base64')), cmsBound: cmd.signInputs.filter((i) => i.cmsSignedAttributes).length } }
      : {}),
  };
  try {
    const now = deps.now();
    const claims = await verifySadToken(cmd.sad, deps.keys); // SAM_SAD_INVALID
    draft.sadJti = claims.jti;
    draft.amr = claims.amr; // the factors behind this signature, for its evidence record
    requireNotExpired(claims, now); // SAM_SAD_EXPIRED
    // A first use of the SAD, for a credential this SAM saw moments ago: every check runs on the rows it must find,
    // and the read, the consumption and its audit row are one statement (docs/performance.md). Otherwise, or when
    // the rows differ from the expected ones, the read alone, as before.
    const fresh = freshConsumption(deps, cmd, claims, now, draft);
    // Both records in one round trip; the checks below still run in their order, each with its own code.
    const state = await readSignState(deps.db, deps.credentialSeal, claims.jti, cmd.credentialID, fresh);
    const { sad, cred, plan, toSign, publicKey } = checkRequest(cmd, claims, state.sad, state.credential, now);
    if (state.credential) deps.recentCredentials.remember(state.credential, state.credentialSeal);
    draft.hashAlg = plan.hashOid;

    // The consumption and its audit row commit together or not at all (DESIGN §2.3): one statement from the row read
    // above (docs/performance.md: one round trip); the locked transaction only when that row moved since, or the
    // request is refused.
    if (state.consumed) {
      sealSoon();
    } else if (await consumeSeenSad(deps.db, sad, cmd.hashes, now, (first) => auditAppendCall(draft, 'ok', undefined, first))) {
      sealSoon();
    } else {
      await tx(deps.db, async (c) => {
        // SAM_SAD_INVALID (rewritten row) / SAM_SAD_EXHAUSTED / SAM_HASH_NOT_AUTHORIZED
        await consumeSad(c, claims.jti, cmd.hashes, now, (locked) => requireCommittedHashes(locked, claims));
        await writeAudit(c, draft, 'ok');
      });
    }

    const key = { keyId: cred.keyId, publicKey };
    const signatures = await Promise.all(toSign.map((digest) => signAndVerify(deps, key, plan.scheme, digest)));
    deps.log.info({ event: 'sam.sign', credentialID: cmd.credentialID, jti: claims.jti, count: signatures.length }, 'signed');
    if (cred.oneTime && sad.used + cmd.hashes.length >= sad.n) await deleteSpentOneTime(deps, cmd);
    return { signatures };
  } catch (err) {
    // After consumption this adds an 'error' row next to the consumption's 'ok' row: the SAD stays spent (fail
    // closed), and the log says no signature was returned.
    await auditFailure(deps.db, deps.log, draft, err);
    throw err;
  }
}

/** Every check of signHash, in its order, each with its own code; what signing needs when all pass. */
function checkRequest(cmd: SignHashCmd, claims: SadClaims, sadRow: SadRecord | null, credRow: CredentialRecord | null, now: Date) {
  const sad = requireSadLive(sadRow, claims); // SAM_SAD_INVALID / SAM_SAD_REVOKED
  requireSadForCredential(claims, cmd.credentialID); // SAM_SAD_WRONG_CREDENTIAL
  const cred = requireCredentialExists(credRow); // SAM_CREDENTIAL_UNKNOWN
  requireOwner(claims, cred, cmd.userId); // SAM_NOT_OWNER
  requireClient(claims, cmd.clientId); // SAM_WRONG_CLIENT
  requireEnabled(cred); // SAM_CREDENTIAL_DISABLED
  requireUnlocked(cred); // SAM_CREDENTIAL_LOCKED
  requireCertificateValid(cred, now); // SAM_CERT_NOT_VALID
  requireScalBinding(claims, cred); // SAM_SAD_INVALID: a count-only SAD for a SCAL 2 credential
  const publicKey = credentialPublicKey(cred.spki);
  const plan = planSigning(
    cmd,
    { keyAlgo: cred.keyAlgo, pssOnly: cred.pssOnly, modulusBits: publicKey.asymmetricKeyDetails?.modulusLength },
    sad.hashAlg,
  ); // SAM_SIGN_ALGO_INVALID / SAM_SIGN_ALGO_PARAMS_INVALID / SAM_HASH_ALG_INVALID / SAM_HASH_ALG_MISMATCH
  requireHashes(cmd.hashes); // SAM_HASHES_REQUIRED
  requireHashLengths(cmd.hashes, HASHES[plan.hashOid]!.length); // SAM_HASH_LENGTH
  const toSign = requireSignInputs(cmd.signInputs, cmd.hashes, plan.hashOid); // SAM_SIGN_INPUTS_INVALID / SAM_DTBSR_MISMATCH
  return { sad, cred, plan, toSign, publicKey };
}

/**
 * The one-statement consumption of a SAD's first use, when it can be decided before reading: the credential's row
 * was seen with a valid seal moments ago, the request signs everything the SAD authorizes (or, count only, at most
 * its n), and every check passes on the SAD row activation wrote (derived from the verified claims: never used,
 * its hash list the requested one, since both commit to `hsh`) and that credential row. Undefined otherwise: the
 * ordinary read, whose checks then give the exact refusal. The statement itself applies only if the rows still are
 * those (sam/store/sign_state.ts), and checkRequest runs again on what it returns.
 */
function freshConsumption(deps: SamDeps, cmd: SignHashCmd, claims: SadClaims, now: Date, draft: AuditDraft): FreshConsumption | undefined {
  const recent = deps.recentCredentials.get(cmd.credentialID);
  if (!recent || cmd.hashes.length > claims.n) return undefined;
  if (claims.hsh !== undefined && hashListCommitment(cmd.hashes) !== claims.hsh) return undefined;
  const hashes = claims.hsh !== undefined ? [...cmd.hashes] : null;
  const expected: SadRecord = {
    jti: claims.jti,
    userId: claims.sub,
    clientId: claims.azp,
    credentialId: claims.cid,
    hashAlg: claims.hashAlg ?? null,
    n: claims.n,
    used: 0,
    hashes,
    authorized: hashes,
    expiresAt: new Date(claims.exp * 1000),
    revokedAt: null,
  };
  let plan: SigningPlan;
  try {
    plan = checkRequest(cmd, claims, expected, { ...recent.record, lockedAt: null }, now).plan;
  } catch {
    return undefined;
  }
  return {
    requested: cmd.hashes,
    expectedHashes: hashes,
    remaining: hashes ? [] : null,
    now,
    credentialSeal: recent.seal,
    alongside: (first) => auditAppendCall({ ...draft, hashAlg: plan.hashOid }, 'ok', undefined, first),
  };
}

/** A one-time credential lives for one transaction: once its authorization is spent, its key goes (CSC v2.2). The
 *  signatures are made and checked already, so a failure here does not withhold them; the expiry purge retries. */
async function deleteSpentOneTime(deps: SamDeps, cmd: SignHashCmd): Promise<void> {
  try {
    await deleteCredential(deps, { ctx: cmd.ctx, credentialID: cmd.credentialID }, 'one-time-used');
  } catch (err) {
    deps.log.warn({ event: 'sam.credential.delete', credentialID: cmd.credentialID, err: (err as Error).message }, 'spent one-time credential not deleted yet');
  }
}

/** DESIGN §2.4: the signature is verified under the credential's public key before anyone sees it. */
async function signAndVerify(
  deps: SamDeps,
  key: { keyId: string; publicKey: KeyObject },
  scheme: DigestSignScheme,
  digest: Uint8Array,
): Promise<Uint8Array> {
  const signature = await hsmCall(() => deps.hsm.signDigest(key.keyId, scheme, digest));
  if (!(await verifySignature(deps.hsm, key, scheme, digest, signature))) {
    deps.log.error({ event: 'sam.sign', keyId: key.keyId, scheme: scheme.kind }, 'signature from the HSM does not verify');
    throw new SamError('SAM_SIGNATURE_VERIFY_FAILED');
  }
  return signature;
}
