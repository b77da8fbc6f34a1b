// CSC v2.2 credentials/create (ETSI TS 119 432 V1.3.1 §11.4): a credential for the caller, its key generated in the
// SAM's token and certified by the service's CA, optionally for one transaction only (a one-time credential, as the
// EUDI rQES flow uses: a key and a short-lived certificate per signing transaction).
//
// Who may create: the future owner, with a service access token (scope "service": auth/login or OAuth 2.0 scope
// service), or with a token granted from RAR authorization_details of type credential_creation (CSC v2.2,
// authz/oauth/management_request.ts), which allows this one call: it is spent once the request has passed its
// checks, and refused from then on. A credential-scoped token is for signing with one existing credential and
// cannot create.
import { CscError } from '../../../../core/errors.ts';
import { parseV22Request } from '../../../../openapi/validate_v22.ts';
import type { V22CredentialsCreateRequest } from '../../../../openapi/types_v22.ts';
import type { SignatureAlgoName } from '../../../app/key_algo.ts';
import { credentialInfoView } from '../../../app/credential_view.ts';
import { limitAuthorize } from '../../steps/rate_limit.ts';
import { readJsonBody } from '../../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../../steps/require_bearer.ts';
import { respond } from '../../steps/respond.ts';
import { spendSingleUseToken } from '../../steps/spend_token.ts';
import { required, type Action, type CscContext, type Step } from '../../step.ts';
import type { RsspDeps } from '../../deps.ts';

/** The signAlgo a credential is created for → the key the SAM generates (credential_service.ts keyAlgoFor). */
const KEY_FOR: Record<V22CredentialsCreateRequest['signAlgo'], SignatureAlgoName> = {
  '1.2.840.10045.4.3.2': 'ES256',
  ES256: 'ES256',
  '1.2.840.113549.1.1.11': 'RS256',
  RS256: 'RS256',
  '1.2.840.113549.1.1.10': 'PS256',
  PS256: 'PS256',
};

/** A one-time credential's certificate lives this long unless the request or ONE_TIME_VALIDITY_SECONDS says
 *  otherwise: one signing session. */
const ONE_TIME_VALIDITY_SECONDS = 900;

/** Most undeleted credentials one user may hold: each is two objects in the token, and a token's space is finite.
 *  One-time credentials count until their transaction or expiry deletes them. */
export const MAX_CREDENTIALS_PER_USER = 100;

/** Everything that can refuse the request before a key is made, so that a single-use token is spent only on a
 *  request that goes ahead. */
const check: Step = async (ctx, deps) => {
  const body = parseV22Request('credentials/create', ctx.state.body);
  const grant = required(ctx.state.grant, 'grant');
  if (body.validitySeconds !== undefined && body.oneTime !== true) {
    throw new CscError('invalidRequest', { description: 'validitySeconds applies to one-time credentials only' });
  }
  if ((await deps.credentials.listByOwner(grant.userId)).length >= MAX_CREDENTIALS_PER_USER) {
    throw new CscError('invalidRequest', { description: `At most ${MAX_CREDENTIALS_PER_USER} credentials per user: delete one first` });
  }
};

async function create(ctx: CscContext, deps: RsspDeps) {
  const body = parseV22Request('credentials/create', ctx.state.body);
  const grant = required(ctx.state.grant, 'grant');
  const oneTime = body.oneTime === true;
  const { credentialID } = await deps.credentials.create(ctx.state.request, {
    ownerId: grant.userId,
    algo: KEY_FOR[body.signAlgo],
    ...(body.PIN !== undefined ? { pin: body.PIN } : {}),
    ...(body.multisign !== undefined ? { multisign: body.multisign } : {}),
    ...(body.description !== undefined ? { description: body.description } : {}),
    ...(body.authMode !== undefined ? { authMode: body.authMode } : {}),
    ...(oneTime ? { oneTime, validitySeconds: body.validitySeconds ?? deps.config.rssp.oneTimeValiditySeconds ?? ONE_TIME_VALIDITY_SECONDS } : {}),
    // Only a credential_creation token carries one: the policy its person approved. A service token asks for none.
    ...(grant.certificatePolicy !== undefined ? { certificatePolicy: grant.certificatePolicy } : {}),
    origin: 'csc',
  });
  const record = await deps.credentials.get(credentialID);
  const [state] = await deps.sam.state([credentialID]);
  if (!record || !state) throw new Error(`credential ${credentialID} vanished right after its creation`);
  const view = await credentialInfoView(record, state, { certificates: 'chain', certInfo: true, authInfo: true });
  return { credentialID, ...view, ...(oneTime ? { oneTime } : {}) };
}

export const credentialsCreate: Action = [
  requireBearer(),
  requireScope('service', 'credential_creation'),
  // A key generation is as dear as an activation: the same throttle, per client and per source IP (fails closed).
  limitAuthorize,
  readJsonBody(),
  check,
  spendSingleUseToken(),
  respond(create),
];
