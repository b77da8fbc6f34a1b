// A DPoP key pair of a test client and the proofs it makes (RFC 9449 §4.2), with every claim overridable so that a
// test can break exactly one thing. Shared by the rssp integration tests and the e2e FAPI flow.
import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export type DpopKey = { privateKey: CryptoKey; jwk: JWK; jkt: string; alg: string };

export async function dpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk), alg };
}

export const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

export type ProofOpts = {
  htm: string;
  htu: string;
  /** The access token the proof goes with (its ath); omit at the token endpoint. */
  token?: string;
  jti?: string;
  iat?: number;
  /** Claims and header members to set or override (undefined removes). */
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
};

export async function dpopProof(key: DpopKey, o: ProofOpts): Promise<string> {
  const payload: Record<string, unknown> = {
    jti: o.jti ?? randomUUID(),
    htm: o.htm,
    htu: o.htu,
    iat: o.iat ?? Math.floor(Date.now() / 1000),
    ...(o.token !== undefined ? { ath: ath(o.token) } : {}),
    ...o.claims,
  };
  for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
  const header = { typ: 'dpop+jwt', alg: key.alg, jwk: key.jwk, ...o.header } as Record<string, unknown>;
  for (const k of Object.keys(header)) if (header[k] === undefined) delete header[k];
  return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}
