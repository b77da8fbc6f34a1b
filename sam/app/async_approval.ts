// Asynchronous authorization (CSC v2 §11.6 answered 202, §11.7 credentials/authorizeCheck, §8.3.1.1 out-of-band
// response): for a credential approved out of band, credentials/authorize records the request and sends the
// person a link; on the page they check what is asked and approve with the credential's factors (PIN, OTP) or
// refuse. Approval runs the very same activation as credentials/authorize (factors, lockout, SAD bound to the
// hashes, audit), so nothing is weaker on this path.
//
// Secrets: the handle (polled by the application) and the link (sent to the person) are different random values,
// each stored only as its SHA-256: the application cannot approve on the person's behalf, and a database copy
// gives neither. The minted SAD waits in the row until the first authorizeCheck takes it, then is erased.
// Requests live in PostgreSQL, so they survive a restart and are seen by every instance.
import { createHash, randomBytes } from 'node:crypto';
import { SamError, type ApprovalView, type SignatureActivation } from '../../core/sam_port.ts';
import { auditFailure, writeAudit, type AuditDraft } from '../audit/audit_log.ts';
import {
  approvalByHandle,
  approvalByLink,
  claimForDecision,
  deleteApproval,
  insertApproval,
  markApproved,
  markRefused,
  releaseDecision,
  takeSad,
  type ApprovalRecord,
} from '../store/approvals.ts';
import { getCredential } from '../store/credentials.ts';
import { activate } from './activate.ts';
import { requireCertificateValid, requireEnabled, requireOwnedBy, requireUnlocked } from './checks/credential.ts';
import { requireHashLengths, requireKnownHashAlg, requireNumSignatures } from './checks/hashes.ts';
import type { SamDeps } from './deps.ts';

export const DEFAULT_APPROVAL_LIFETIME_SECONDS = 300;

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();
const secret = () => randomBytes(32).toString('base64url');
const REQUEST_EVENT = 'approval_request' as AuditDraft['event'];
const DECISION_EVENT = 'approve' as AuditDraft['event'];

type RequestCmd = Parameters<SignatureActivation['requestApproval']>[0];

export async function requestApproval(deps: SamDeps, cmd: RequestCmd): Promise<{ handle: string; expiresIn: number }> {
  const draft: AuditDraft = {
    event: REQUEST_EVENT,
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
    const cred = requireOwnedBy(await getCredential(deps.db, deps.credentialSeal, cmd.credentialID), cmd.userId);
    requireEnabled(cred);
    requireUnlocked(cred);
    requireCertificateValid(cred, now);
    requireNumSignatures(cmd.numSignatures, cred.multisign);
    // The same binding rules as activate (sam/app/activate.ts): at SCAL 2 one hash per signature.
    const hashes = cmd.hashes?.length ? cmd.hashes : null;
    if (!hashes && cred.scal === '2') throw new SamError('SAM_HASHES_REQUIRED');
    let hashAlg: string | null = null;
    if (hashes) {
      if (hashes.length !== cmd.numSignatures) throw new SamError('SAM_HASH_COUNT_MISMATCH');
      const alg = requireKnownHashAlg(cmd.hashAlgorithmOID);
      requireHashLengths(hashes, alg.length);
      hashAlg = alg.oid;
    } else if (cmd.hashAlgorithmOID !== undefined) {
      hashAlg = requireKnownHashAlg(cmd.hashAlgorithmOID).oid;
    }
    const to = cmd.recipient.email ?? cmd.recipient.phone;
    if (!to) throw new SamError('SAM_NO_RECIPIENT', 'no e-mail address or phone number');
    if (!deps.notifier) throw new SamError('SAM_NOTIFY_FAILED', 'no notifier configured');

    const handle = secret();
    const link = secret();
    const lifetime = deps.config.approvalLifetimeSeconds;
    await insertApproval(deps.db, {
      handleHash: sha256(handle),
      linkHash: sha256(link),
      userId: cmd.userId,
      clientId: cmd.clientId,
      credentialId: cmd.credentialID,
      numSignatures: cmd.numSignatures,
      hashAlg,
      hashes: hashes ? hashes.map((h) => new Uint8Array(h)) : null,
      description: cmd.description ?? null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + lifetime * 1000),
    });
    const url = `${cmd.linkBase}${link}`;
    const minutes = Math.max(1, Math.round(lifetime / 60));
    try {
      await deps.notifier.send({
        channel: cmd.recipient.email ? 'email' : 'sms',
        to,
        username: cmd.recipient.username,
        subject: 'Approve a signature',
        text: `A signature application asks to sign ${cmd.numSignatures} document(s) with your credential. Open ${url} within ${minutes} minute${minutes === 1 ? '' : 's'} to approve or refuse.`,
      });
    } catch (err) {
      deps.log.warn({ event: 'sam.approval.undelivered', credentialID: cmd.credentialID, err: (err as Error).message }, 'approval link not delivered');
      await deleteApproval(deps.db, sha256(handle));
      throw new SamError('SAM_NOTIFY_FAILED', 'approval link');
    }
    await writeAudit(deps.db, draft, 'ok');
    deps.log.info({ event: 'sam.approval.request', credentialID: cmd.credentialID }, 'approval requested');
    return { handle, expiresIn: lifetime };
  } catch (err) {
    await auditFailure(deps.db, deps.log, draft, err);
    throw err;
  }
}

type CheckCmd = Parameters<SignatureActivation['checkApproval']>[0];

export async function checkApproval(deps: SamDeps, cmd: CheckCmd): ReturnType<SignatureActivation['checkApproval']> {
  const now = deps.now();
  const row = await approvalByHandle(deps.db, sha256(cmd.handle));
  // Another user's or another application's handle is as unknown as a made-up one.
  if (!row || row.userId !== cmd.userId || row.clientId !== cmd.clientId) throw new SamError('SAM_APPROVAL_UNKNOWN');
  switch (row.state) {
    case 'pending':
    case 'deciding': {
      if (row.expiresAt.getTime() <= now.getTime()) throw new SamError('SAM_APPROVAL_EXPIRED');
      const cred = await getCredential(deps.db, deps.credentialSeal, row.credentialId);
      if (cred?.lockedAt) throw new SamError('SAM_CREDENTIAL_LOCKED');
      return { status: 'pending' };
    }
    case 'refused':
      throw new SamError('SAM_APPROVAL_REFUSED');
    case 'approved': {
      const taken = await takeSad(deps.db, row.id);
      if (!taken) throw new SamError('SAM_APPROVAL_UNKNOWN'); // a parallel poll took it
      const left = Math.floor((taken.expiresAt.getTime() - now.getTime()) / 1000);
      if (left < 1) throw new SamError('SAM_APPROVAL_EXPIRED');
      return { status: 'approved', sad: taken.sad, expiresIn: left };
    }
    case 'delivered':
      throw new SamError('SAM_APPROVAL_UNKNOWN');
  }
}

export async function approvalView(deps: SamDeps, cmd: { link: string }): Promise<ApprovalView | null> {
  const row = await approvalByLink(deps.db, sha256(cmd.link));
  if (!row) return null;
  return {
    credentialID: row.credentialId,
    clientId: row.clientId,
    numSignatures: row.numSignatures,
    hashAlgorithmOID: row.hashAlg,
    hashes: row.hashes ?? [],
    description: row.description,
    state: viewState(row, deps.now()),
    expiresAt: row.expiresAt.toISOString(),
  };
}

function viewState(row: ApprovalRecord, now: Date): ApprovalView['state'] {
  if (row.state === 'refused') return 'refused';
  if (row.state === 'approved' || row.state === 'delivered') return 'approved';
  return row.expiresAt.getTime() <= now.getTime() ? 'expired' : 'pending';
}

type DecideCmd = Parameters<SignatureActivation['decideApproval']>[0];

export async function decideApproval(deps: SamDeps, cmd: DecideCmd): Promise<{ state: 'approved' | 'refused' }> {
  const row = await approvalByLink(deps.db, sha256(cmd.link));
  if (!row) throw new SamError('SAM_APPROVAL_UNKNOWN');
  const now = deps.now();
  if (!cmd.approve) {
    if (!(await markRefused(deps.db, row.id, now))) throw stateError(row, now);
    const draft: AuditDraft = { event: DECISION_EVENT, ctx: cmd.ctx, userId: row.userId, clientId: row.clientId, credentialId: row.credentialId };
    await auditFailure(deps.db, deps.log, draft, new SamError('SAM_APPROVAL_REFUSED'));
    return { state: 'refused' };
  }
  if (!(await claimForDecision(deps.db, row.id, now))) throw stateError(row, now);
  try {
    // The same activation as credentials/authorize: factors, lockout, SAD bound to the hashes, its own audit row.
    const { sad, expiresIn } = await activate(deps, {
      ctx: cmd.ctx,
      userId: row.userId,
      clientId: row.clientId,
      credentialID: row.credentialId,
      numSignatures: row.numSignatures,
      hashes: row.hashes ?? undefined,
      hashAlgorithmOID: row.hashAlg ?? undefined,
      factors: cmd.factors,
    });
    await markApproved(deps.db, row.id, sad, new Date(deps.now().getTime() + expiresIn * 1000), deps.now());
    return { state: 'approved' };
  } catch (err) {
    await releaseDecision(deps.db, row.id);
    throw err;
  }
}

function stateError(row: ApprovalRecord, now: Date): SamError {
  if (row.state === 'refused') return new SamError('SAM_APPROVAL_REFUSED');
  if (row.expiresAt.getTime() <= now.getTime()) return new SamError('SAM_APPROVAL_EXPIRED');
  return new SamError('SAM_APPROVAL_UNKNOWN', 'already decided');
}
