// The audit trail (DESIGN §2: every decision is audited; issue #4 item 5). One row per activation and per signing
// attempt, whatever the outcome, and one per other security event (sign-in, tokens, lockout, admin actions). Rows
// carry what happened and for whom, never a factor or a SAD: the SAD is identified by its jti, hashes are kept
// because they identify the documents signed. Rows are appended through sam.audit_append() (one statement, no lock:
// the row commits or rolls back with the caller's transaction), then chained to the previous by hash once
// committed (sam/audit/seal.ts, sam/migrations/002_audit_chain.sql, 005_audit_seal.sql and 019_audit_link.sql).
import { createHash } from 'node:crypto';
import type { Logger } from '../../core/log.ts';
import type { RequestContext } from '../../core/sam_port.ts';
import type { Queryable } from '../store/queryable.ts';
import { sealSoon } from './seal.ts';

/** Events of the SAM's use cases, and the security events other parts record through core/audit_port.ts.
 *  'sign' is the consumption of the SAD for the listed hashes (the signatures follow, or an 'error' row says why
 *  none was returned). */
export type AuditEvent =
  | 'activate'
  | 'sign'
  | 'challenge'
  | 'extend'
  | 'approve'
  | 'lockout'
  | 'unlock'
  /** CSC v2.2 credentials/create by the credential's owner (the admin API's creations are its 'admin' rows). */
  | 'credential.create'
  /** A credential's key destroyed: credentials/delete, or a one-time credential spent or expired (detail.reason). */
  | 'credential.delete'
  /** signatures/timestamp (CSC v2 §11.13): a TimeStampToken over the digest in `hashes`. */
  | 'timestamp'
  | 'signin'
  | 'token.issue'
  | 'token.refresh'
  | 'token.revoke'
  | 'ratelimit'
  /** A stored secret or row of the service failed its integrity check (e.g. a sealed key of the authorization server). */
  | 'integrity'
  | 'admin';
export type AuditResult = 'ok' | 'refused' | 'error';

/** What a use case learns about an attempt as its steps run; written as one row when it ends. */
export type AuditDraft = {
  event: AuditEvent;
  ctx: RequestContext;
  userId?: string;
  clientId?: string;
  credentialId?: string;
  hashAlg?: string;
  signAlgo?: string;
  hashes?: Uint8Array[];
  sadJti?: string;
  numSignatures?: number;
  amr?: string[];
  /** What no column holds (e.g. the admin action and its target), as a JSON object. Never a secret. */
  detail?: Record<string, unknown>;
};

/** A call of sam.audit_append() for `draft`, its parameters numbered from `first`: to be embedded in a statement
 *  that must append its audit row in the same atomic step (consumeSeenSad in sam/store/sads.ts numbers them after
 *  its own). The caller runs sealSoon() once the statement has committed. */
export function auditAppendCall(draft: AuditDraft, result: AuditResult, errorCode?: string, first = 1): { sql: string; params: unknown[] } {
  const params = [
    draft.event,
    result,
    errorCode ?? null,
    draft.userId ?? null,
    draft.clientId ?? null,
    draft.credentialId ?? null,
    draft.hashAlg ?? null,
    draft.signAlgo ?? null,
    draft.hashes?.map((h) => Buffer.from(h).toString('base64')) ?? null,
    draft.sadJti ?? null,
    draft.numSignatures ?? null,
    draft.amr ?? null,
    draft.ctx.requestId,
    draft.ctx.sourceIp ?? null,
    draft.ctx.userAgent ?? null,
    draft.detail ? JSON.stringify(draft.detail) : null,
  ];
  return { sql: `sam.audit_append(${params.map((_, i) => `$${first + i}`).join(', ')})`, params };
}

export async function writeAudit(q: Queryable, draft: AuditDraft, result: AuditResult, errorCode?: string): Promise<void> {
  const call = auditAppendCall(draft, result, errorCode);
  await q.query(`SELECT ${call.sql}`, call.params);
  sealSoon();
}

/**
 * Writes the row of an attempt that ended in a throw: 'refused' for a SamError that is a decision, 'error' for
 * trouble (HSM, verification, unexpected). A failure to write is logged and does not mask the original error:
 * the attempt was already refused, which is the fail-closed outcome.
 */
export async function auditFailure(q: Queryable, log: Logger, draft: AuditDraft, err: unknown): Promise<void> {
  const code = errorCodeOf(err);
  const result: AuditResult = ERROR_CODES.has(code) ? 'error' : 'refused';
  try {
    await writeAudit(q, result === 'refused' ? withListDigest(draft) : draft, result, code);
  } catch (writeErr) {
    log.error({ err: writeErr, event: draft.event, requestId: draft.ctx.requestId, code }, 'audit row not written');
  }
}

/**
 * A refused request keeps only a digest of the hashes it asked for (issue #14 finding 6): a refusal costs its sender
 * nothing, so it must not cost the trail up to 1000 hashes per row, for ever. The digest is SHA-256 over the JSON
 * array of the hashes in standard base64, in request order: whoever holds the request can show it was this one.
 */
function withListDigest(draft: AuditDraft): AuditDraft {
  if (!draft.hashes) return draft;
  const list = JSON.stringify(draft.hashes.map((h) => Buffer.from(h).toString('base64')));
  const hashesSha256 = createHash('sha256').update(list).digest('base64');
  return { ...draft, hashes: undefined, detail: { ...draft.detail, hashCount: draft.hashes.length, hashesSha256 } };
}

/** Codes that report trouble rather than a decision about the request. */
const ERROR_CODES = new Set([
  'SAM_SIGNATURE_VERIFY_FAILED', 'SAM_HSM_UNAVAILABLE', 'SAM_HSM_ERROR', 'SAM_TSA_UNAVAILABLE', 'SAM_TSA_RESPONSE_INVALID', 'INTERNAL',
]);

function errorCodeOf(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string' && err.code.startsWith('SAM_')) {
    return err.code;
  }
  return 'INTERNAL';
}
