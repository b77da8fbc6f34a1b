// CSC v1 §11.8 credentials/extendTransaction: a new SAD for what an unexpired SAD still authorizes, so that a
// batch of signatures can outlive one SAD's lifetime without asking the user again. The same SAM use case as v2
// §11.9: never new content (the listed digests must be among those still authorized), the old SAD superseded.
import { decodeHashes } from '../../steps/decode_hashes.ts';
import { loadOwnCredential } from '../../steps/load_credential.ts';
import { readJsonBody } from '../../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../../steps/require_bearer.ts';
import { respond } from '../../steps/respond.ts';
import { required, type Action, type CscContext } from '../../step.ts';
import type { RsspDeps } from '../../deps.ts';
import { asV2Body } from '../steps/as_v2_body.ts';
import { hashAlgorithmOfDigests } from '../steps/hash_algorithm_from_length.ts';
import { validateV1Body } from '../steps/validate_v1_body.ts';

async function extend(ctx: CscContext, deps: RsspDeps) {
  const grant = required(ctx.state.grant, 'grant');
  const credential = required(ctx.state.credential, 'credential');
  const hashes = ctx.state.hashes;
  // v1 names no hash algorithm here either: the digest length tells it (as in v1 credentials/authorize).
  const hashAlgorithmOID = hashes ? hashAlgorithmOfDigests(hashes) : undefined;
  const { sad, expiresIn } = await deps.sam.extendTransaction({
    ctx: ctx.state.request,
    sad: ctx.state.body.SAD as string,
    userId: grant.userId,
    clientId: grant.clientId,
    credentialID: credential.credentialID,
    hashes,
    hashAlgorithmOID,
    scal: credential.scal,
  });
  return { SAD: sad, expiresIn };
}

export const credentialsExtendTransactionV1: Action = [
  requireBearer(),
  requireScope('service'),
  readJsonBody(),
  validateV1Body('credentials/extendTransaction'),
  asV2Body(),
  loadOwnCredential(),
  decodeHashes({ required: false }),
  respond(extend),
];
