// CSC v1 §11.4 credentials/list: the caller's credential identifiers, a page at a time (maxResults, pageToken →
// nextPageToken). Pages follow the identifiers' order and the token names the last identifier returned, so a
// credential created or deleted between two calls never shifts the pages (no repeats, no gaps).
import { CscError } from '../../../../core/errors.ts';
import { loadCredentialStates } from '../../steps/load_credential.ts';
import { readJsonBody } from '../../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../../steps/require_bearer.ts';
import { respond } from '../../steps/respond.ts';
import { required, type Action, type CscContext, type Step } from '../../step.ts';
import { v1BodyOf, validateV1Body } from '../steps/validate_v1_body.ts';

/** The most identifiers one answer carries, whatever maxResults asks (§11.4 lets the service return fewer). */
const MAX_PAGE = 100;

const TOKEN_PREFIX = 'after:';

export function pageTokenAfter(credentialID: string): string {
  return Buffer.from(TOKEN_PREFIX + credentialID, 'utf8').toString('base64url');
}

/** The identifier a pageToken continues after; refused when it is not one of ours. */
export function credentialAfter(token: string): string {
  const text = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  if (!text.startsWith(TOKEN_PREFIX) || text.length === TOKEN_PREFIX.length || Buffer.from(text, 'utf8').toString('base64url') !== token) {
    throw new CscError('v1InvalidPageToken');
  }
  return text.slice(TOKEN_PREFIX.length);
}

/** Every token this service issues is user-specific: a userID naming anyone is refused, as in v2. */
const refuseUserID: Step = (ctx) => {
  const { userID } = v1BodyOf(ctx, 'credentials/list');
  if (typeof userID === 'string' && userID !== '') throw new CscError('userIDNotAllowed');
};

const loadOwnCredentials: Step = async (ctx, deps) => {
  const after = v1BodyOf(ctx, 'credentials/list').pageToken;
  const start = after === undefined ? undefined : credentialAfter(after);
  const records = await deps.credentials.listByOwner(required(ctx.state.grant, 'grant').userId);
  ctx.state.credentials = records
    .filter((r) => start === undefined || r.credentialID > start)
    .sort((a, b) => (a.credentialID < b.credentialID ? -1 : a.credentialID > b.credentialID ? 1 : 0));
};

/** A record the SAM does not know (a half-created credential) cannot be used: left out, as in v2. */
const dropUnknownToSam: Step = (ctx) => {
  const states = required(ctx.state.states, 'states');
  ctx.state.credentials = required(ctx.state.credentials, 'credentials').filter((r) => states.has(r.credentialID));
};

function onePage(ctx: CscContext) {
  const size = Math.min(v1BodyOf(ctx, 'credentials/list').maxResults ?? MAX_PAGE, MAX_PAGE);
  const records = required(ctx.state.credentials, 'credentials');
  const page = records.slice(0, size);
  return {
    credentialIDs: page.map((r) => r.credentialID),
    ...(records.length > page.length ? { nextPageToken: pageTokenAfter(page[page.length - 1]!.credentialID) } : {}),
  };
}

export const credentialsListV1: Action = [
  requireBearer(),
  requireScope('service'),
  readJsonBody(),
  validateV1Body('credentials/list'),
  refuseUserID,
  loadOwnCredentials,
  loadCredentialStates(),
  dropUnknownToSam,
  respond(onePage),
];
