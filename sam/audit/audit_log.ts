// The signature audit log (DESIGN §2: every decision is audited). One row per activation and per signing
// attempt, whatever the outcome. Rows carry what happened and for whom, never a factor or a SAD: the SAD is
// identified by its jti, hashes are kept because they identify the documents signed.
import type { Logger } from '../../core/log.ts';
import type { RequestContext } from '../../core/sam_port.ts';
import type { Queryable } from '../ledger/queryable.ts';

export type AuditEvent = 'activate' | 'sign';
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
};

export async function writeAudit(q: Queryable, draft: AuditDraft, result: AuditResult, errorCode?: string): Promise<void> {
  await q.query(
    `INSERT INTO sam.audit (event, result, error_code, user_id, client_id, credential_id, hash_alg, sign_algo, hashes,
                            sad_jti, num_signatures, amr, request_id, source_ip, user_agent)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
    [
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
    ],
  );
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
    await writeAudit(q, draft, result, code);
  } catch (writeErr) {
    log.error({ err: writeErr, event: draft.event, requestId: draft.ctx.requestId, code }, 'audit row not written');
  }
}

/** Codes that report trouble rather than a decision about the request. */
const ERROR_CODES = new Set(['SAM_SIGNATURE_VERIFY_FAILED', 'SAM_HSM_UNAVAILABLE', 'SAM_HSM_ERROR', 'INTERNAL']);

function errorCodeOf(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string' && err.code.startsWith('SAM_')) {
    return err.code;
  }
  return 'INTERNAL';
}
