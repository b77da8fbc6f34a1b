// CSC v1 §11.7 credentials/sendOTP: for a credential whose one-time password is sent by the service ("online"
// OTP in credentials/info), have a fresh code sent to its owner; 204. This is the v1 name of the out-of-band
// credentials/getChallenge of v2 (§11.8): the same SAM use case generates the code, keeps only its hash, applies
// the rate limit and hands it to the notifier. For an authenticator-app (TOTP, "offline") credential there is
// nothing to send: refused before the SAM is asked.
import { CscError } from '../../../../core/errors.ts';
import { loadCredentialStates, loadOwnCredential } from '../../steps/load_credential.ts';
import { readJsonBody } from '../../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../../steps/require_bearer.ts';
import { respondNoContent } from '../../steps/respond.ts';
import { required, type Action, type Step } from '../../step.ts';
import { validateV1Body } from '../steps/validate_v1_body.ts';
import { sendChallenge } from '../../steps/send_challenge.ts';

/** §11.7 applies to "online" OTPs only (credentials/info OTP/type): a TOTP credential has nothing to send. */
const requireOnlineOtp: Step = (ctx) => {
  const credential = required(ctx.state.credential, 'credential');
  const state = required(ctx.state.states, 'states').get(credential.credentialID);
  if (!state) throw new CscError('invalidCredentialID');
  if (state.otpChannel === 'totp') throw new CscError('v1OtpOffline');
};

export const credentialsSendOtpV1: Action = [
  requireBearer(),
  requireScope('service'),
  readJsonBody(),
  validateV1Body('credentials/sendOTP'),
  loadOwnCredential(),
  loadCredentialStates(),
  requireOnlineOtp,
  sendChallenge,
  respondNoContent(),
];
