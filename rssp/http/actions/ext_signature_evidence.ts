// ext/signatureEvidence (an extension of this service, documented in openapi/csc-v2.yaml; not a CSC method): the
// audit records of the signatures made with the caller's credential, each with its place in the tamper-evident
// trail and the checkpoint signed in the HSM that covers it (issue #4 item 5). Same bearer rules as
// credentials/info (CSC v2 §11.5): a service token of the credential's owner.
import { loadOwnCredential } from '../steps/load_credential.ts';
import { readJsonBody } from '../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../steps/require_bearer.ts';
import { respond } from '../steps/respond.ts';
import { bodyOf, validateBody } from '../steps/validate_body.ts';
import { required, type Action, type CscContext } from '../step.ts';
import type { RsspDeps } from '../deps.ts';

async function evidence(ctx: CscContext, deps: RsspDeps) {
  const body = bodyOf(ctx, 'ext/signatureEvidence');
  const grant = required(ctx.state.grant, 'grant');
  const credential = required(ctx.state.credential, 'credential');
  // Stored hashes are standard base64 of the raw digest; the request may use either alphabet (DESIGN §8).
  const hash = body.hash === undefined ? undefined : Buffer.from(body.hash, 'base64').toString('base64');
  const records = await deps.audit.evidence({ userId: grant.userId, credentialID: credential.credentialID, hash, sadId: body.SAD });
  return {
    evidence: records.map((r) => ({
      seq: r.seq,
      recordHash: r.recordHash,
      at: r.at,
      userID: r.userId,
      clientID: r.clientId,
      sourceIP: r.sourceIp,
      userAgent: r.userAgent,
      credentialID: r.credentialID,
      hashes: r.hashes,
      hashAlgorithmOID: r.hashAlgorithmOID,
      signAlgo: r.signAlgo,
      sadId: r.sadId,
      factors: r.factors,
      requestID: r.requestId,
      checkpoint: r.checkpoint,
    })),
  };
}

export const extSignatureEvidence: Action = [
  requireBearer(),
  requireScope('service'),
  readJsonBody(),
  validateBody('ext/signatureEvidence'),
  loadOwnCredential(),
  respond(evidence),
];
