// CSC v2 §11.8 credentials/getChallenge, out-of-band variant: the SAM generates a one-time password for the
// credential and sends it by e-mail or SMS; the answer is 204 with no body. rssp only checks the request, reads
// where the person is reached from the user record, and forwards (DESIGN §1: factors are the SAM's).
import { CscError } from '../../../core/errors.ts';
import { loadOwnCredential } from '../steps/load_credential.ts';
import { readJsonBody } from '../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../steps/require_bearer.ts';
import { respondNoContent } from '../steps/respond.ts';
import { bodyOf, validateBody } from '../steps/validate_body.ts';
import { required, type Action, type Step } from '../step.ts';

/** The only authentication object that takes a challenge is the OTP that credentials/info announces. */
const CHALLENGE_AUTH_OBJECT = 'OTP';

const checkAuthObjectID: Step = (ctx) => {
  if (bodyOf(ctx, 'credentials/getChallenge').authObjectID !== CHALLENGE_AUTH_OBJECT) throw new CscError('invalidAuthObjectID');
};

const sendChallenge: Step = async (ctx, deps) => {
  const grant = required(ctx.state.grant, 'grant');
  const credential = required(ctx.state.credential, 'credential');
  const user = await deps.users.byId(grant.userId);
  // A token whose user has been removed since: the credential is as good as unknown.
  if (!user) throw new CscError('invalidCredentialID');
  await deps.sam.getChallenge({
    ctx: ctx.state.request,
    userId: grant.userId,
    clientId: grant.clientId,
    credentialID: credential.credentialID,
    recipient: { username: user.username, email: user.email, phone: user.phone },
  });
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
