// CSC v2 §11.9 credentials/extendTransaction: a new SAD for the rest of a multi-signature transaction. rssp checks
// the request's shape and forwards; the SAM verifies the SAD, binds the new one to the same signer, client,
// credential and remaining hashes, and supersedes the old one (sam/app/extend_transaction.ts).
import { HASHES } from '../../../core/algorithms.ts';
import { CscError } from '../../../core/errors.ts';
import { decodeHashes } from '../steps/decode_hashes.ts';
import { loadOwnCredential } from '../steps/load_credential.ts';
import { readJsonBody } from '../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../steps/require_bearer.ts';
import { respond } from '../steps/respond.ts';
import { bodyOf, validateBody } from '../steps/validate_body.ts';
import { required, type Action, type CscContext, type Step } from '../step.ts';
import type { RsspDeps } from '../deps.ts';

/** §11.9: hashes are mandatory at SCAL 2, and come with the OID of their algorithm. */
export const checkHashes: Step = (ctx) => {
  const body = bodyOf(ctx, 'credentials/extendTransaction');
  if (!ctx.state.hashes && required(ctx.state.credential, 'credential').scal === '2') throw new CscError('hashesRequired');
  if (ctx.state.hashes && body.hashAlgorithmOID === undefined) throw new CscError('missingHashAlgorithmOID');
  if (body.hashAlgorithmOID !== undefined && !Object.hasOwn(HASHES, body.hashAlgorithmOID)) throw new CscError('invalidHashAlgorithmOID');
};

export async function extend(ctx: CscContext, deps: RsspDeps) {
  const body = bodyOf(ctx, 'credentials/extendTransaction');
  const grant = required(ctx.state.grant, 'grant');
  const credential = required(ctx.state.credential, 'credential');
  const { sad, expiresIn } = await deps.sam.extendTransaction({
    ctx: ctx.state.request,
    sad: body.SAD,
    userId: grant.userId,
    clientId: grant.clientId,
    credentialID: credential.credentialID,
    hashes: ctx.state.hashes,
    hashAlgorithmOID: body.hashAlgorithmOID,
  });
  return { SAD: sad, expiresIn };
}

export const credentialsExtendTransaction: Action = [
  requireBearer(),
  requireScope('service'),
  readJsonBody(),
  validateBody('credentials/extendTransaction'),
  loadOwnCredential(),
  decodeHashes({ required: false }),
  checkHashes,
  respond(extend),
];
