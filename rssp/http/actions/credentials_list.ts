// CSC v2 §11.4 credentials/list: the caller's credentials, optionally with the credentialInfo of each.
import { CscError } from '../../../core/errors.ts';
import { credentialInfoView, isUsable } from '../../app/credential_view.ts';
import { loadCredentialStates } from '../steps/load_credential.ts';
import { readJsonBody } from '../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../steps/require_bearer.ts';
import { respond } from '../steps/respond.ts';
import { bodyOf, validateBody } from '../steps/validate_body.ts';
import { required, type Action, type CscContext, type Step } from '../step.ts';

/** Every token this service issues is user-specific (basic, oauth2code: Note 27 of §11.4), so the user is the
 *  token's and a userID in the request is refused, whoever it names. An organisation's token of the client
 *  credentials grant (§8.5.2.2) is its own in the same way: it lists the organisation's seals, never a user's. */
const refuseUserID: Step = (ctx) => {
  const { userID } = bodyOf(ctx, 'credentials/list');
  if (typeof userID === 'string' && userID !== '') throw new CscError('userIDNotAllowed');
};

const loadOwnCredentials: Step = async (ctx, deps) => {
  ctx.state.credentials = await deps.credentials.listByOwner(required(ctx.state.grant, 'grant').userId);
};

/** A record the SAM does not know (a half-created credential) cannot be used or described: left out. */
const dropUnknownToSam: Step = (ctx, deps) => {
  const states = required(ctx.state.states, 'states');
  const records = required(ctx.state.credentials, 'credentials');
  const known = records.filter((r) => states.has(r.credentialID));
  if (known.length !== records.length) {
    deps.log.warn({ requestId: ctx.state.request.requestId, missing: records.length - known.length }, 'credential records without SAM state');
  }
  ctx.state.credentials = known;
};

/** onlyValid (§11.4): enabled, not locked, certificate valid now. */
const keepUsableIfAsked: Step = (ctx) => {
  if (bodyOf(ctx, 'credentials/list').onlyValid !== true) return;
  const states = required(ctx.state.states, 'states');
  const now = new Date();
  ctx.state.credentials = required(ctx.state.credentials, 'credentials').filter((r) => isUsable(states.get(r.credentialID)!, now));
};

async function listResult(ctx: CscContext) {
  const body = bodyOf(ctx, 'credentials/list');
  const records = required(ctx.state.credentials, 'credentials');
  const states = required(ctx.state.states, 'states');
  const result: { credentialIDs: string[]; credentialInfos?: object[]; onlyValid: boolean } = {
    credentialIDs: records.map((r) => r.credentialID),
    // §11.4: we support onlyValid, so we say whether the list was filtered.
    onlyValid: body.onlyValid === true,
  };
  if (body.credentialInfo === true) {
    const opts = { certificates: body.certificates ?? 'single', certInfo: body.certInfo === true, authInfo: body.authInfo === true };
    const now = new Date();
    result.credentialInfos = await Promise.all(
      records.map(async (r) => ({ credentialID: r.credentialID, ...(await credentialInfoView(r, states.get(r.credentialID)!, opts, now)) })),
    );
  }
  return result;
}

export const credentialsList: Action = [
  requireBearer(),
  requireScope('service'),
  readJsonBody(),
  validateBody('credentials/list'),
  refuseUserID,
  loadOwnCredentials,
  loadCredentialStates(),
  dropUnknownToSam,
  keepUsableIfAsked,
  respond(listResult),
];
