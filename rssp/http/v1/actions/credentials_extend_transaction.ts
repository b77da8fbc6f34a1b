// CSC v1 §11.8 credentials/extendTransaction: a new SAD for what an unexpired SAD still authorizes, so that a
// batch of signatures can outlive one SAD's lifetime without asking the user again. After the v1 checks the body
// takes its v2 form and the v2 steps of §11.9 run unchanged, down to the same SAM use case: never new content (the
// listed digests must be among those still authorized), and the old SAD is superseded.
import { checkHashes, extend } from '../../actions/credentials_extend_transaction.ts';
import { decodeHashes } from '../../steps/decode_hashes.ts';
import { loadOwnCredential } from '../../steps/load_credential.ts';
import { readJsonBody } from '../../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../../steps/require_bearer.ts';
import { respond } from '../../steps/respond.ts';
import type { Action } from '../../step.ts';
import { asV2Body } from '../steps/as_v2_body.ts';
import { hashAlgorithmFromLength } from '../steps/hash_algorithm_from_length.ts';
import { validateV1Body } from '../steps/validate_v1_body.ts';

export const credentialsExtendTransactionV1: Action = [
  requireBearer(),
  requireScope('service'),
  readJsonBody(),
  validateV1Body('credentials/extendTransaction'),
  asV2Body('credentials/extendTransaction'),
  loadOwnCredential(),
  decodeHashes({ required: false, percentEncoded: true }),
  // v1 names no hash algorithm here either: the digest length tells it (as in v1 credentials/authorize).
  hashAlgorithmFromLength('credentials/extendTransaction'),
  checkHashes,
  respond(extend),
];
