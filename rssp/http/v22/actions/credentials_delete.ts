// CSC v2.2 credentials/delete (ETSI TS 119 432 V1.3.1 §11.5): the SAM destroys the credential's key in the token and
// its binding (with its SADs), then the record is marked deleted; both steps are audited. From then on the id is
// unknown to every method: 400 invalid_request "Invalid parameter credentialID".
//
// Who may delete: the owner, with a service access token (scope "service"), as for credentials/create, or with a
// token granted from RAR authorization_details of type credential_deletion (CSC v2.2) naming this credential, which
// allows this one call (spent after the credential was found to be the caller's and the token's).
import { parseV22Request } from '../../../../openapi/validate_v22.ts';
import { loadOwnCredential } from '../../steps/load_credential.ts';
import { readJsonBody } from '../../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../../steps/require_bearer.ts';
import { respondNoContent } from '../../steps/respond.ts';
import { spendSingleUseToken } from '../../steps/spend_token.ts';
import { required, type Action, type Step } from '../../step.ts';

const validate: Step = (ctx) => {
  parseV22Request('credentials/delete', ctx.state.body);
};

const destroy: Step = async (ctx, deps) => {
  const grant = required(ctx.state.grant, 'grant');
  await deps.credentials.delete(ctx.state.request, required(ctx.state.credentialID, 'credentialID'), grant.userId);
};

export const credentialsDelete: Action = [
  requireBearer(),
  requireScope('service', 'credential_deletion'),
  readJsonBody(),
  validate,
  loadOwnCredential(),
  spendSingleUseToken(),
  destroy,
  respondNoContent(),
];
