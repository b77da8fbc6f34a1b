// The audit trail as the other parts see it (issue #4 item 5). authz and the admin API record their security
// events through this port; the admin API exports the trail; rssp serves the evidence of a signature. The trail
// itself (chained rows, checkpoints signed in the HSM) lives in the SAM's schema, so that one chain orders every
// event; like the SAM port, this interface is plain data in and out.
import type { AuditCheckpointLine, AuditLine } from './audit_chain.ts';
import type { RequestContext } from './sam_port.ts';

export type SecurityEvent = 'signin' | 'token.issue' | 'token.refresh' | 'token.revoke' | 'ratelimit' | 'admin';

export type SecurityEntry = {
  event: SecurityEvent;
  result: 'ok' | 'refused' | 'error';
  /** Why it was refused: a CSC error name or a SAM code. */
  errorCode?: string;
  ctx: RequestContext;
  userId?: string;
  clientId?: string;
  credentialID?: string;
  /** Identifiers and outcomes only, never a secret (no password, PIN, OTP, SAD or token). */
  detail?: Record<string, unknown>;
};

export type AuditFilter = { userId?: string; credentialID?: string; from?: Date; to?: Date };

/** What a signature application may keep about one signHash call (issue #4 item 5, evidence record). */
export type SignatureEvidence = {
  seq: number;
  recordHash: string;
  at: string;
  userId: string | null;
  clientId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  credentialID: string | null;
  hashes: string[];
  hashAlgorithmOID: string | null;
  signAlgo: string | null;
  sadId: string | null;
  factors: string[];
  requestId: string | null;
  /** The first checkpoint that covers the record, when one exists yet. */
  checkpoint: Omit<AuditCheckpointLine, 'type'> | null;
};

export interface AuditTrail {
  /** Appends a security event to the chain. Throws when it cannot: callers fail closed. */
  record(entry: SecurityEntry): Promise<void>;
  /** Signs the current head now (when it moved since the last checkpoint), then exports the filtered trail with
   *  everything needed to verify it (core/audit_chain.ts), line by line: a trail of any size streams through. */
  export(filter: AuditFilter): AsyncIterable<AuditLine>;
  /** The 'sign' records of one signer's credential whose hashes include `hash` (standard base64), newest first. */
  evidence(q: { userId: string; credentialID: string; hash?: string; sadId?: string }): Promise<SignatureEvidence[]>;
}
