// CSC v2 §11.12 signatures/signPolling: the outcome of an asynchronous request (operationMode "A", §11.10) for the
// user and client that made it. While the job runs: 202 accepted_request. Once it ran: its response body (the
// signatures of signHash; what signDoc returns) or the error it ended with, handed out once; the job is then gone
// and the same requestID is refused like any unknown one. Another client's or another user's requestID is refused
// with the same words as an unknown one, so that a poll never tells whether an id exists.
import { CscError } from '../../../core/errors.ts';
import { replay } from '../../jobs/job_error.ts';
import { limitPoll } from '../steps/rate_limit.ts';
import { readJsonBody } from '../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../steps/require_bearer.ts';
import { bodyOf, validateBody } from '../steps/validate_body.ts';
import { required, type Action, type Step } from '../step.ts';

/** §11.12: the user is the token's ("the userID is implicit and SHALL NOT be specified"). */
const refuseUserID: Step = (ctx) => {
  const { userID } = bodyOf(ctx, 'signatures/signPolling');
  if (userID !== undefined && userID !== null && userID !== '') throw new CscError('pollUserIDNotAllowed');
};

const poll: Step = async (ctx, deps) => {
  const { requestID } = bodyOf(ctx, 'signatures/signPolling');
  const grant = required(ctx.state.grant, 'grant');
  const found = await deps.jobs.take(requestID, { userId: grant.userId, clientId: grant.clientId });
  if (found.state === 'none') throw new CscError('invalidRequestID');
  if (found.state === 'pending') throw new CscError('acceptedRequest');
  if (found.state === 'failed') throw replay(found);
  ctx.status = 200;
  ctx.type = 'application/json; charset=utf-8';
  ctx.body = found.body;
};

export const signaturesSignPolling: Action = [
  requireBearer(),
  // A credential-scoped token may have started the job (signHash accepts it): it may collect the result too.
  requireScope('service', 'credential'),
  limitPoll,
  readJsonBody(),
  validateBody('signatures/signPolling'),
  refuseUserID,
  poll,
];
