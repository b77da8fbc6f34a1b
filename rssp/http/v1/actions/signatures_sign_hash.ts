// CSC v1 §11.9 signatures/signHash: digests in `hash`, their algorithm in `hashAlgo`, the SAD required. After the
// v1 checks the body takes its v2 form and the v2 steps run unchanged, down to the same SAM call, which verifies
// and consumes the SAD atomically, signs in the token and verifies each signature before it is returned
// (DESIGN §2.3, §2.4): ECDSA as DER Ecdsa-Sig-Value, RSA PKCS#1 v1.5 over the DigestInfo of the digest.
import { checkSignAlgo, resolveSad, sign } from '../../actions/signatures_sign_hash.ts';
import { decodeHashes } from '../../steps/decode_hashes.ts';
import { requireOwnCredentialID } from '../../steps/load_credential.ts';
import { limitSign } from '../../steps/rate_limit.ts';
import { readJsonBody } from '../../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../../steps/require_bearer.ts';
import type { Action } from '../../step.ts';
import { asV2Body } from '../steps/as_v2_body.ts';
import { validateV1Body } from '../steps/validate_v1_body.ts';

export const signaturesSignHashV1: Action = [
  requireBearer(),
  limitSign,
  requireScope('service', 'credential'),
  readJsonBody(),
  validateV1Body('signatures/signHash'),
  asV2Body('signatures/signHash'),
  checkSignAlgo,
  decodeHashes({ required: true, percentEncoded: true }),
  requireOwnCredentialID(),
  resolveSad,
  sign,
];
