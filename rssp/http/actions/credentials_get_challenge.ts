// CSC v2 §11.8 credentials/getChallenge, out-of-band variant: the SAM generates a one-time password for the
// credential and sends it by e-mail or SMS; the answer is 204 with no body. rssp only checks the request, reads
// where the person is reached from the user record, and forwards (DESIGN §1: factors are the SAM's).
import { CscError } from '../../../core/errors.ts';
import { loadOwnCredential } from '../steps/load_credential.ts';
import { readJsonBody } from '../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../steps/require_bearer.ts';
import { respondNoContent } from '../steps/respond.ts';
import { bodyOf, validateBody } from '../steps/validate_body.ts';
import type { Action, Step } from '../step.ts';
import { sendChallenge } from '../steps/send_challenge.ts';

/** The only authentication object that takes a challenge is the OTP that credentials/info announces. */
const CHALLENGE_AUTH_OBJECT = 'OTP';

const checkAuthObjectID: Step = (ctx) => {
  if (bodyOf(ctx, 'credentials/getChallenge').authObjectID !== CHALLENGE_AUTH_OBJECT) throw new CscError('invalidAuthObjectID');
};

export const credentialsGetChallenge: Action = [
  requireBearer(),
  requireScope('service'),
  readJsonBody(),
  validateBody('credentials/getChallenge'),
  loadOwnCredential(),
  checkAuthObjectID,
  sendChallenge,
  respondNoContent(),
];
