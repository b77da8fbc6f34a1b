// The credential named in the request, if it is the caller's. An unknown id and another user's id get the same
// answer (CSC v2 §11.5 "Invalid parameter credentialID"), so that nobody can probe which ids exist.
import { CscError } from '../../../core/errors.ts';
import { required, type Step } from '../step.ts';

/** Longer than any id this service issues; refused without a database round trip. */
const MAX_CREDENTIAL_ID = 255;
// PostgreSQL text cannot hold NUL: such an id cannot exist, and must not reach the driver as a query error.
const NUL = '\u0000';

export function loadOwnCredential(): Step {
  return async (ctx, deps) => {
    const grant = required(ctx.state.grant, 'grant');
    const id = ctx.state.body.credentialID;
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_CREDENTIAL_ID || id.includes(NUL)) throw new CscError('invalidCredentialID');
    const record = await deps.credentials.get(id);
    if (!record || record.ownerId !== grant.userId) throw new CscError('invalidCredentialID');
    // A credential-scoped token is good for its own credential only (CSC v2 §11.10 SAD).
    if (grant.scope === 'credential' && grant.credentialID !== record.credentialID) {
      throw new CscError('insufficientScope', { headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' } });
    }
    ctx.state.credential = record;
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
