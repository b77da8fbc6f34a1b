// CSC v2 §11.13 signatures/timestamp: an RFC 3161 TimeStampToken over the caller's digest. rssp checks the request
// with the wordings of the §11.13 error table; the token itself is the SAM's (its TSA key is in the HSM, or it asks
// the external TSA of TSA_URL and checks the answer), and so is the audit row.
import { HASHES } from '../../../core/algorithms.ts';
import { decodeBase64, toBase64 } from '../../../core/base64.ts';
import { CscError } from '../../../core/errors.ts';
import { limitSign } from '../steps/rate_limit.ts';
import { readJsonBody } from '../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../steps/require_bearer.ts';
import { respond } from '../steps/respond.ts';
import { validateBody } from '../steps/validate_body.ts';
import { required, type Action, type CscContext, type Step } from '../step.ts';
import type { RsspDeps } from '../deps.ts';

type TimestampBody = { hash: string; hashAlgo?: string; hashAlgorithmOID?: string; nonce?: string; clientData?: string };

/** §11.13 names the algorithm `hashAlgo`; the other v2 methods say `hashAlgorithmOID`, which is taken as its alias. */
function hashAlgoOf(body: TimestampBody): string {
  const { hashAlgo, hashAlgorithmOID } = body;
  if (hashAlgo !== undefined && hashAlgorithmOID !== undefined && hashAlgo !== hashAlgorithmOID) throw new CscError('invalidHashAlgo');
  const oid = hashAlgo ?? hashAlgorithmOID;
  if (oid === undefined) throw new CscError('missingHashAlgo');
  return oid;
}

/** The digest, decoded, of the length its algorithm gives (§11.13: "Invalid digest value length"). */
const decodeDigest: Step = (ctx) => {
  const body = ctx.state.body as TimestampBody;
  const bytes = decodeBase64(body.hash);
  if (!bytes) throw new CscError('invalidBase64Hash');
  const oid = hashAlgoOf(body);
  const alg = Object.hasOwn(HASHES, oid) ? HASHES[oid]! : undefined;
  if (!alg) throw new CscError('invalidHashAlgo');
  if (bytes.length !== alg.length) throw new CscError('invalidDigestLength');
  ctx.state.hashes = [bytes];
};

async function stamp(ctx: CscContext, deps: RsspDeps) {
  const body = ctx.state.body as TimestampBody;
  const grant = required(ctx.state.grant, 'grant');
  const { timestamp } = await deps.sam.timestamp({
    ctx: ctx.state.request,
    userId: grant.userId,
    clientId: grant.clientId,
    hash: required(ctx.state.hashes, 'hashes')[0]!,
    hashAlgorithmOID: hashAlgoOf(body),
    nonce: body.nonce,
  });
  return { timestamp: toBase64(timestamp) };
}

export const signaturesTimestamp: Action = [
  requireBearer(),
  // Every token is an HSM signature: counted with signHash's, per client (SIGN_RATE_PER_CLIENT).
  limitSign,
  // §11.13 is a service method (§8.1): a credential-scoped token authorizes signatures, not timestamps.
  requireScope('service'),
  readJsonBody(),
  validateBody('signatures/timestamp'),
  decodeDigest,
  respond(stamp),
];
