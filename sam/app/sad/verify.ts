// First steps of signHash (DESIGN §2.3): the SAD must be a JWS made by this SAM's key, of our type, with a
// well-formed payload, and not expired. Expiry uses the SAM's clock (injected), not jose's, so tests and the
// ledger agree on "now".
//
// The JWS is checked here with node:crypto rather than jose's compactVerify: jose goes through WebCrypto (algorithm
// normalisation, a thread-pool job and its promise), ≈ 115–170 µs of CPU per SAD on the development VM against
// ≈ 60–70 µs for the same OpenSSL ECDSA verification called directly (docs/performance.md, 2026-12-03). Only what
// mintSad produces is accepted, and more strictly than a general JWS library would: compact serialisation, a
// protected header with exactly our members (alg ES256, typ, optionally kid; so no crit, b64 or jku to interpret:
// RFC 7515 §4.1.11 makes an unknown crit a refusal anyway), a 64-byte R || S signature (RFC 7518 §3.4) in
// canonical base64url.
import { verify, type KeyObject } from 'node:crypto';
import { SamError } from '../../../core/sam_port.ts';
import type { SamKeys } from './sam_keys.ts';
import { SAD_TYP, sadClaimsSchema, type SadClaims } from './claims.ts';

const COMPACT_JWS = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{86})$/;
const HEADER_MEMBERS = new Set(['alg', 'typ', 'kid']);

/** The payload of `jws` when it is an ES256 SAD signed by `key`; throws otherwise (the caller says why not). */
function verifiedPayload(jws: string, key: KeyObject): Buffer {
  const m = COMPACT_JWS.exec(jws);
  if (!m) throw new Error('not a compact JWS');
  const [, h, p, s] = m as unknown as [string, string, string, string];
  const header: unknown = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error('header');
  const members = Object.keys(header);
  if (!members.every((k) => HEADER_MEMBERS.has(k))) throw new Error('header member');
  const { alg, typ } = header as { alg?: unknown; typ?: unknown };
  if (alg !== 'ES256') throw new Error('alg');
  if (typ !== SAD_TYP) throw new Error('typ');
  const signature = Buffer.from(s, 'base64url');
  // 86 characters decode to 64 bytes; a different last character could decode to the same bytes: refuse it.
  if (signature.length !== 64 || signature.toString('base64url') !== s) throw new Error('signature encoding');
  if (!verify('sha256', Buffer.from(`${h}.${p}`, 'ascii'), { key, dsaEncoding: 'ieee-p1363' }, signature)) throw new Error('signature');
  return Buffer.from(p, 'base64url');
}

export async function verifySadToken(sad: string, keys: SamKeys): Promise<SadClaims> {
  let payload: Buffer;
  try {
    payload = verifiedPayload(sad, keys.sadPublicKey);
  } catch (err) {
    throw new SamError('SAM_SAD_INVALID', 'signature', { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new SamError('SAM_SAD_INVALID', 'payload');
  }
  const parsed = sadClaimsSchema.safeParse(json);
  if (!parsed.success) throw new SamError('SAM_SAD_INVALID', 'claims');
  return parsed.data;
}

export function requireNotExpired(claims: SadClaims, now: Date): void {
  if (claims.exp * 1000 <= now.getTime()) throw new SamError('SAM_SAD_EXPIRED');
}
