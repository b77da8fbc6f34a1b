// A DPoP proof presented to the CSC API with a DPoP-bound access token (RFC 9449 §4.3 and §7.1). The checks, in the
// order of §4.3, each with its own description: one proof, a JWT whose header has typ "dpop+jwt", an allowed
// asymmetric alg and a public jwk, a signature by that jwk, htm and htu of this very request, iat within the window,
// ath = SHA-256 of the token presented; then the key binding (§7.1: the jwk's thumbprint is the token's cnf.jkt).
// Whether the jti was seen before is asked last (steps/dpop.ts), so that a proof refused here burns nothing.
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, errors as joseErrors, jwtVerify, type JWK } from 'jose';

/** FAPI 2.0 §5.4.1 (and the algorithms the authorization server takes, authz/oauth/fapi.ts). */
export const DPOP_ALGS = ['ES256', 'PS256', 'EdDSA', 'Ed25519'] as const;

/** JWK members that only a private (or symmetric) key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** `invalid_dpop_proof` for what is wrong with the proof itself; `invalid_token` when it is a sound proof by a key
 *  the token is not bound to (RFC 9449 §7.1). */
export class DpopProofError extends Error {
  override name = 'DpopProofError';
  constructor(
    readonly error: 'invalid_dpop_proof' | 'invalid_token',
    readonly description: string,
  ) {
    super(description);
  }
}

export type ProofCheck = {
  /** The DPoP header(s) of the request, as Node gives them (a repeated header arrives joined by ", "). */
  proof: string | string[] | undefined;
  method: string;
  /** The request's URL as the public URL gives it (PUBLIC_URL + path), without query. */
  url: string;
  accessToken: string;
  /** The token's binding (AccessGrant.cnf.jkt). */
  jkt: string;
  nowSeconds: number;
  windowSeconds: number;
};

export type CheckedProof = { jti: string; iat: number };

const invalid = (description: string) => new DpopProofError('invalid_dpop_proof', description);

/** RFC 9449 §4.3 item 9: htu is compared without query and fragment, after the URL's own normalisation. */
function sameUrl(htu: unknown, expected: string): boolean {
  if (typeof htu !== 'string') return false;
  const a = URL.parse(htu);
  const b = URL.parse(expected);
  if (!a || !b) return false;
  a.search = a.hash = b.search = b.hash = '';
  return a.href === b.href;
}

export async function checkDpopProof(c: ProofCheck): Promise<CheckedProof> {
  if (c.proof === undefined || c.proof === '') throw invalid('DPoP proof missing');
  if (Array.isArray(c.proof) || /[,\s]/.test(c.proof)) throw invalid('exactly one DPoP proof is required');
  const proof = c.proof;
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalid('DPoP proof is not a JWT');
  }
  if (header.typ !== 'dpop+jwt') throw invalid('DPoP proof typ must be dpop+jwt');
  if (typeof header.alg !== 'string' || !(DPOP_ALGS as readonly string[]).includes(header.alg)) {
    throw invalid(`DPoP proof alg must be one of ${DPOP_ALGS.join(', ')}`);
  }
  const jwk = header.jwk as JWK | undefined;
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk)) throw invalid('DPoP proof jwk header missing');
  if (PRIVATE_MEMBERS.some((m) => m in jwk)) throw invalid('DPoP proof jwk must be a public key');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...DPOP_ALGS] }));
  } catch (err) {
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw invalid('DPoP proof signature invalid');
    throw invalid('DPoP proof could not be verified');
  }
  if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) throw invalid('DPoP proof jti missing or invalid');
  if (payload.htm !== c.method) throw invalid('DPoP proof htm mismatch');
  if (!sameUrl(payload.htu, c.url)) throw invalid('DPoP proof htu mismatch');
  if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) throw invalid('DPoP proof iat missing');
  if (Math.abs(c.nowSeconds - payload.iat) > c.windowSeconds) throw invalid('DPoP proof iat is not recent enough');
  const ath = createHash('sha256').update(c.accessToken, 'ascii').digest('base64url');
  if (payload.ath !== ath) throw invalid('DPoP proof ath mismatch');
  if ((await calculateJwkThumbprint(jwk, 'sha256')) !== c.jkt) {
    throw new DpopProofError('invalid_token', 'the DPoP proof key is not the key the access token is bound to');
  }
  return { jti: payload.jti, iat: payload.iat };
}
