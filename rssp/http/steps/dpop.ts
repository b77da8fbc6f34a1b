// The DPoP proof of a call with a DPoP-bound access token (RFC 9449 §7.1), on every CSC method that takes a token.
// htu is the request's URL as the public URL gives it (PUBLIC_URL + path): behind a reverse proxy the service sees
// another host, but the client signs the URL it called. The proof's jti is recorded in PostgreSQL only once every
// other check passed (rssp/adapters/dpop_proof_ledger.ts): a replay inside the window is refused on every instance.
// A replayed proof could at worst repeat the call it was made for; a signature still needs an unspent SAD.
import { CscError } from '../../../core/errors.ts';
import type { RsspDeps } from '../deps.ts';
import { checkDpopProof, DPOP_ALGS, DpopProofError } from '../dpop_proof.ts';
import type { CscContext } from '../step.ts';

/** RFC 9449 §7.1 challenge: the DPoP scheme, the error, and the algorithms a proof may use. Descriptions are ours
 *  and hold no quote or backslash. */
export function dpopChallenge(error: string, description: string): Record<string, string> {
  return { 'WWW-Authenticate': `DPoP error="${error}", error_description="${description}", algs="${DPOP_ALGS.join(' ')}"` };
}

export async function requireDpopProof(ctx: CscContext, deps: RsspDeps, token: string, jkt: string): Promise<void> {
  const windowSeconds = deps.config.rssp.dpop.proofWindowSeconds;
  let checked;
  try {
    checked = await checkDpopProof({
      proof: ctx.req.headers.dpop,
      method: ctx.method,
      url: `${deps.config.publicUrl}${ctx.path}`,
      accessToken: token,
      jkt,
      nowSeconds: Math.floor(Date.now() / 1000),
      windowSeconds,
    });
  } catch (err) {
    if (!(err instanceof DpopProofError)) throw err;
    const code = err.error === 'invalid_token' ? 'dpopKeyMismatch' : 'invalidDpopProof';
    throw new CscError(code, { description: err.description, headers: dpopChallenge(err.error, err.description) });
  }
  // Needed while the proof's iat is inside the window, whichever side of now it lies.
  const expiresAt = new Date((checked.iat + windowSeconds) * 1000);
  if (!(await deps.dpopProofs.firstUse({ jkt, jti: checked.jti, expiresAt }))) {
    throw new CscError('dpopProofReplayed', { headers: dpopChallenge('invalid_dpop_proof', 'DPoP proof replayed') });
  }
}
