// The credential named in the request, if it is the caller's. An unknown id and another user's id get the same
// answer (CSC v2 §11.5 "Invalid parameter credentialID"), so that nobody can probe which ids exist.
import { CscError } from '../../../core/errors.ts';
import type { AccessGrant } from '../../../core/ports.ts';
import { required, type CscContext, type Step } from '../step.ts';

/** Longer than any id this service issues; refused without a database round trip. */
const MAX_CREDENTIAL_ID = 255;
// PostgreSQL text cannot hold NUL: such an id cannot exist, and must not reach the driver as a query error.
const NUL = '\u0000';

/** The credentialID of the body, if it could name a credential at all. */
function credentialIdOf(ctx: CscContext): string {
  const id = ctx.state.body.credentialID;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_CREDENTIAL_ID || id.includes(NUL)) throw new CscError('invalidCredentialID');
  return id;
}

/** A credential-scoped token is good for its own credential only (CSC v2 §11.10 SAD), and so is a credential
 *  deletion token (CSC v2.2 RAR credential_deletion); only a service token opens every credential of its user. */
function requireTokenFor(grant: AccessGrant, credentialID: string): void {
  if (grant.scope !== 'service' && grant.credentialID !== credentialID) {
    throw new CscError('insufficientScope', { headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' } });
  }
}

export function loadOwnCredential(): Step {
  return async (ctx, deps) => {
    const grant = required(ctx.state.grant, 'grant');
    const record = await deps.credentials.get(credentialIdOf(ctx));
    if (!record || record.ownerId !== grant.userId) throw new CscError('invalidCredentialID');
    requireTokenFor(grant, record.credentialID);
    ctx.state.credential = record;
    ctx.state.credentialID = record.credentialID;
  };
}

/** loadOwnCredential for a method that needs only the id and its owner (signatures/signHash): the owner comes from
 *  memory after the first call, so the hot path spends no round trip here. */
export function requireOwnCredentialID(): Step {
  return async (ctx, deps) => {
    const grant = required(ctx.state.grant, 'grant');
    const id = credentialIdOf(ctx);
    if ((await deps.credentials.ownerOf(id)) !== grant.userId) throw new CscError('invalidCredentialID');
    requireTokenFor(grant, id);
    ctx.state.credentialID = id;
  };
}

/** The SAM's state of every credential loaded so far, in one call (key length, algorithms, status, validity). */
export function loadCredentialStates(): Step {
  return async (ctx, deps) => {
    const records = ctx.state.credentials ?? (ctx.state.credential ? [ctx.state.credential] : []);
    const states = records.length ? await deps.sam.state(records.map((r) => r.credentialID)) : [];
    ctx.state.states = new Map(states.map((s) => [s.credentialID, s]));
  };
}
