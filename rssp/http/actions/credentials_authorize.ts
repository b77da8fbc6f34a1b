// CSC v2 §11.6 credentials/authorize: the factors the user typed go to the SAM, which mints a SAD bound to the
// user, the client, the credential and (SCAL 2) the exact hashes (DESIGN §2). rssp checks the request's meaning
// against the credential's published policy and forwards; it never decides whether the factors are right.
import { HASHES } from '../../../core/algorithms.ts';
import { CscError } from '../../../core/errors.ts';
import { deferWhenApprovedOutOfBand } from '../steps/async_approval.ts';
import { decodeHashes } from '../steps/decode_hashes.ts';
import { factorsFrom } from '../steps/factors.ts';
import { loadOwnCredential } from '../steps/load_credential.ts';
import { limitAuthorize } from '../steps/rate_limit.ts';
import { readJsonBody } from '../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../steps/require_bearer.ts';
import { respond } from '../steps/respond.ts';
import { bodyOf, validateBody } from '../steps/validate_body.ts';
import { required, type Action, type CscContext, type Step } from '../step.ts';
import type { RsspDeps } from '../deps.ts';

/** §11.6: this method is for explicit authorization only; oauth2code credentials are authorized via OAuth. */
export const requireExplicitMode: Step = (ctx) => {
  if (required(ctx.state.credential, 'credential').authMode !== 'explicit') throw new CscError('credentialNotExplicit');
};

/** §11.6: numSignatures ≥ 1 and never above the credential's multisign. */
export const checkNumSignatures: Step = (ctx) => {
  const n = bodyOf(ctx, 'credentials/authorize').numSignatures;
  if (!Number.isInteger(n) || n < 1) throw new CscError('invalidNumSignatures');
  if (n > required(ctx.state.credential, 'credential').multisign) throw new CscError('tooManySignatures');
};

/** §11.6 hashAlgorithmOID is required together with hashes: the SAD commits to digests of one known algorithm. */
export const checkHashAlgorithm: Step = (ctx) => {
  const oid = bodyOf(ctx, 'credentials/authorize').hashAlgorithmOID;
  if (ctx.state.hashes && oid === undefined) throw new CscError('missingHashAlgorithmOID');
  if (oid !== undefined && !Object.hasOwn(HASHES, oid)) throw new CscError('invalidHashAlgorithmOID');
};

export async function activate(ctx: CscContext, deps: RsspDeps) {
  const body = bodyOf(ctx, 'credentials/authorize');
  const grant = required(ctx.state.grant, 'grant');
  const credential = required(ctx.state.credential, 'credential');
  const { sad, expiresIn } = await deps.sam.activate({
    ctx: ctx.state.request,
    userId: grant.userId,
    clientId: grant.clientId,
    credentialID: credential.credentialID,
    numSignatures: body.numSignatures,
    hashes: ctx.state.hashes,
    hashAlgorithmOID: body.hashAlgorithmOID,
    factors: factorsFrom(body.authData),
  });
  return { SAD: sad, expiresIn };
}

export const credentialsAuthorize: Action = [
  requireBearer(),
  limitAuthorize,
  requireScope('service'),
  readJsonBody(),
  validateBody('credentials/authorize'),
  loadOwnCredential(),
  requireExplicitMode,
  checkNumSignatures,
  decodeHashes({ required: false }),
  checkHashAlgorithm,
  // §11.6 202: credentials approved out of band get a handle instead of a SAD (steps/async_approval.ts).
  deferWhenApprovedOutOfBand(respond(activate)),
];
