// CSC v2 §11.10 signatures/signHash: raw signatures of the given digests. rssp checks the request's shape and
// meaning, finds the SAD, and forwards, at once (operationMode "S") or as a job (operationMode "A", rssp/jobs/); the SAM verifies the SAD against signer, client, credential, hashes and
// count, consumes it atomically, signs and verifies (DESIGN §2.3, §2.4).
import { HASHES, SIGN_ALGOS } from '../../../core/algorithms.ts';
import { CscError } from '../../../core/errors.ts';
import { decodeBase64, toBase64 } from '../../../core/base64.ts';
import { decodeHashes } from '../steps/decode_hashes.ts';
import { requireOwnCredentialID } from '../steps/load_credential.ts';
import { limitSign } from '../steps/rate_limit.ts';
import { readJsonBody } from '../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../steps/require_bearer.ts';
import { readOperationMode } from '../steps/operation_mode.ts';
import { performOrEnqueue } from '../steps/perform_or_enqueue.ts';
import { bodyOf, validateBody } from '../steps/validate_body.ts';
import { required, type Action, type CscContext, type Step } from '../step.ts';
import type { RsspDeps } from '../deps.ts';
import type { SignHashInput } from '../../jobs/sign_hash_job.ts';

/**
 * §11.10: signAlgo must be an algorithm we know. A bare key OID (rsaEncryption, ecPublicKey) says nothing about the
 * hash, so hashAlgorithmOID is then required; RSASSA-PSS needs its parameters. Whether the algorithm fits the
 * credential's key and agrees with the hash is the SAM's check.
 */
export const checkSignAlgo: Step = (ctx) => {
  const body = bodyOf(ctx, 'signatures/signHash');
  const algo = Object.hasOwn(SIGN_ALGOS, body.signAlgo) ? SIGN_ALGOS[body.signAlgo]! : undefined;
  if (!algo) throw new CscError('invalidSignAlgo');
  if (body.hashAlgorithmOID !== undefined && !Object.hasOwn(HASHES, body.hashAlgorithmOID)) throw new CscError('invalidHashAlgorithmOID');
  if (algo.scheme === 'rsa-pss') {
    if (body.signAlgoParams === undefined) throw new CscError('missingSignAlgoParams');
  } else if (!algo.hash && body.hashAlgorithmOID === undefined) {
    throw new CscError('missingHashAlgorithmOID');
  }
  if (body.signAlgoParams !== undefined) {
    const params = decodeBase64(body.signAlgoParams);
    if (!params) throw new CscError('invalidSignAlgoParams');
    ctx.state.signAlgoParams = params;
  }
};

/**
 * The SAD for this call (§11.10 SAD):
 * - the SAD parameter; for backward compatibility it may hold a credential-scoped access token instead, which
 *   then stands for the SAD it was issued with;
 * - else the SAD that a credential-scoped bearer token for this credential stands for.
 */
export const resolveSad: Step = async (ctx, deps) => {
  // Shared with signatures/signDoc (§11.11 SAD is "as defined in signatures/signHash"): both bodies carry SAD, and
  // the credential has been checked to be the caller's by the step before.
  const sadParam = ctx.state.body.SAD;
  const credentialID = required(ctx.state.credentialID, 'credentialID');
  const grant = required(ctx.state.grant, 'grant');
  if (typeof sadParam === 'string' && sadParam !== '') {
    ctx.state.sad = (await sadOfCredentialToken(deps, sadParam, grant.userId, credentialID)) ?? sadParam;
    return;
  }
  if (grant.scope === 'credential' && grant.sad && grant.credentialID === credentialID) {
    ctx.state.sad = grant.sad;
    return;
  }
  throw new CscError('missingSad');
};

/** The SAD behind `value` when it is an access token; undefined when it is not a token (then it is a SAD). A token
 *  that is not credential-scoped for this user and credential is refused as an invalid SAD. */
async function sadOfCredentialToken(deps: RsspDeps, value: string, userId: string, credentialID: string): Promise<string | undefined> {
  // Our SADs are compact JWS (three dot-separated parts); access tokens of either issuer never hold a dot, so a
  // JWS is not offered to the token verifiers (two refusals built and thrown on every signHash otherwise).
  if (JWS_SHAPE.test(value)) return undefined;
  let token;
  try {
    token = await deps.tokens.verify(value);
  } catch (err) {
    if (err instanceof CscError) return undefined;
    throw err;
  }
  // RFC 9449 §7.1: a DPoP-bound token is used only with a proof, which covers the Authorization header's token alone.
  if (token.cnf) throw new CscError('dpopTokenAsSad');
  if (token.scope !== 'credential' || !token.sad || token.userId !== userId || token.credentialID !== credentialID) {
    throw new CscError('invalidSad');
  }
  return token.sad;
}

const JWS_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/;

/** What the SAM is asked, from the checked request (rssp/jobs/sign_hash_job.ts performs it, now or as a job). */
function signHashInput(ctx: CscContext): SignHashInput {
  const body = bodyOf(ctx, 'signatures/signHash');
  return {
    credentialID: required(ctx.state.credentialID, 'credentialID'),
    hashes: required(ctx.state.hashes, 'hashes').map(toBase64),
    hashAlgorithmOID: body.hashAlgorithmOID,
    signAlgo: body.signAlgo,
    signAlgoParams: ctx.state.signAlgoParams && toBase64(ctx.state.signAlgoParams),
  };
}

/** Signs now, or stores the job when readOperationMode found operationMode "A" (the v1 route never reads it). */
export const sign: Step = performOrEnqueue('signatures/signHash', signHashInput);

export const signaturesSignHash: Action = [
  requireBearer(),
  limitSign,
  requireScope('service', 'credential'),
  readJsonBody(),
  validateBody('signatures/signHash'),
  readOperationMode,
  checkSignAlgo,
  decodeHashes({ required: true }),
  requireOwnCredentialID(),
  resolveSad,
  sign,
];
