// What the CSC API needs from the rest of the service. Everything is a port or a use case, so that the routes can
// be served in-process (one-process mode) or in front of a remote SAM (split mode) unchanged.
import type { AuditTrail } from '../../core/audit_port.ts';
import type { RsspConfig } from '../../core/config.ts';
import type { Logger } from '../../core/log.ts';
import type { ServiceAuth, TokenVerifier, UserDirectory } from '../../core/ports.ts';
import type { SignatureActivation } from '../../core/sam_port.ts';
import type { CredentialService } from '../app/credential_service.ts';
import type { Limits } from '../../core/policy.ts';
import type { JobStore } from '../jobs/job_store.ts';

export type RsspDeps = {
  config: RsspConfig;
  log: Logger;
  sam: SignatureActivation;
  tokens: TokenVerifier;
  auth: ServiceAuth;
  users: UserDirectory;
  credentials: CredentialService;
  /** The audit trail, for the evidence of signatures (ext/signatureEvidence). */
  audit: Pick<AuditTrail, 'evidence'>;
  /** Throttling of auth/login and credentials/authorize (core/policy.ts). */
  limits: Limits;
  /** Asynchronous requests (operationMode "A", signatures/signPolling; rssp/jobs/). */
  jobs: JobStore;
  /** The jti of the DPoP proofs accepted (steps/dpop.ts). */
  dpopProofs: DpopProofLedger;
};

/** RFC 9449 §11.1: each DPoP proof is accepted once. */
export interface DpopProofLedger {
  /** Records the proof; false when it was recorded before (a replay). */
  firstUse(p: { jkt: string; jti: string; expiresAt: Date }): Promise<boolean>;
}
