// CSC v2 §11.5 credentials/info: key, certificate and authorization details of one of the caller's credentials.
import { CscError } from '../../../core/errors.ts';
import { credentialInfoView } from '../../app/credential_view.ts';
import { loadCredentialStates, loadOwnCredential } from '../steps/load_credential.ts';
import { readJsonBody } from '../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../steps/require_bearer.ts';
import { respond } from '../steps/respond.ts';
import { bodyOf, validateBody } from '../steps/validate_body.ts';
import { required, type Action, type CscContext } from '../step.ts';

function describeCredential(ctx: CscContext) {
  const body = bodyOf(ctx, 'credentials/info');
  const record = required(ctx.state.credential, 'credential');
  const state = required(ctx.state.states, 'states').get(record.credentialID);
  // The SAM does not know the key: as unusable as an unknown id, and answered the same way.
  if (!state) throw new CscError('invalidCredentialID');
  return credentialInfoView(record, state, {
    certificates: body.certificates ?? 'single',
    certInfo: body.certInfo === true,
    authInfo: body.authInfo === true,
  });
}

export const credentialsInfo: Action = [
  requireBearer(),
  requireScope('service'),
  readJsonBody(),
  validateBody('credentials/info'),
  loadOwnCredential(),
  loadCredentialStates(),
  respond(describeCredential),
];
