// CSC v2 §11.7 credentials/authorizeCheck: the state of an authorization approved out of band. 202 with the
// handle while the person has not decided, 200 with the SAD once (the SAM erases it when handed out), and the
// catalogue's errors after expiry or refusal. Only the user and application that asked may poll.
import { CscError } from '../../../core/errors.ts';
import { readJsonBody } from '../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../steps/require_bearer.ts';
import { bodyOf, validateBody } from '../steps/validate_body.ts';
import { required, type Action, type Step } from '../step.ts';

/** Handles this service issues are 43 characters; anything far longer is refused without a database trip. */
const MAX_HANDLE = 256;

const check: Step = async (ctx, deps) => {
  const handle = bodyOf(ctx, 'credentials/authorizeCheck').handle;
  if (handle.length > MAX_HANDLE) throw new CscError('invalidHandle');
  const grant = required(ctx.state.grant, 'grant');
  const result = await deps.sam.checkApproval({ ctx: ctx.state.request, handle, userId: grant.userId, clientId: grant.clientId });
  ctx.type = 'application/json; charset=utf-8';
  if (result.status === 'pending') {
    ctx.status = 202;
    ctx.body = { handle };
    return;
  }
  ctx.status = 200;
  ctx.body = { SAD: result.sad, expiresIn: result.expiresIn };
};

export const credentialsAuthorizeCheck: Action = [
  requireBearer(),
  requireScope('service'),
  readJsonBody(),
  validateBody('credentials/authorizeCheck'),
  check,
];
