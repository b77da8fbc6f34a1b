// CSC v1 §11.6 credentials/authorize: PIN and OTP as top-level strings, digests in `hash`, no hash algorithm
// parameter (it follows from the digest length). After the v1 checks the body takes its v2 form and the v2 steps
// run unchanged, ending in the same SAM activation: the SAD is bound to signer, client, credential and (SCAL 2)
// the exact digests (DESIGN §2).
import { activate, checkHashAlgorithm, checkNumSignatures, requireExplicitMode } from '../../actions/credentials_authorize.ts';
import { decodeHashes } from '../../steps/decode_hashes.ts';
import { loadOwnCredential } from '../../steps/load_credential.ts';
import { limitAuthorize } from '../../steps/rate_limit.ts';
import { readJsonBody } from '../../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../../steps/require_bearer.ts';
import { respond } from '../../steps/respond.ts';
import type { Action } from '../../step.ts';
import { asV2Body } from '../steps/as_v2_body.ts';
import { hashAlgorithmFromLength } from '../steps/hash_algorithm_from_length.ts';
import { refuseOutOfBandApproval } from '../steps/refuse_out_of_band_approval.ts';
import { validateV1Body } from '../steps/validate_v1_body.ts';

export const credentialsAuthorizeV1: Action = [
  requireBearer(),
  // The same per-client and per-IP throttle as v2 (core/policy.ts): v1 is no way around it.
  limitAuthorize,
  requireScope('service'),
  readJsonBody(),
  validateV1Body('credentials/authorize'),
  // PIN and OTP become v2 authData here (as_v2_body.ts).
  asV2Body('credentials/authorize'),
  loadOwnCredential(),
  requireExplicitMode,
  refuseOutOfBandApproval,
  checkNumSignatures,
  decodeHashes({ required: false, percentEncoded: true }),
  hashAlgorithmFromLength('credentials/authorize'),
  checkHashAlgorithm,
  respond(activate),
];
