// The SAM's own time-stamping authority: an EC P-256 key generated in the HSM under its own label on first use (as
// the audit key is), certified by the SAM's CA with the critical extended key usage id-kp-timeStamping alone
// (RFC 3161 §2.3). The certificate is kept next to the CA root (sam.ca, scoped to the token) and re-issued when it
// is missing, is not for the key, no longer chains to the CA, or has less than 30 days left.
import { X509Certificate } from 'node:crypto';
import { SamError } from '../../core/sam_port.ts';
import { verifyTimestampToken } from '../../core/timestamp_token.ts';
import type { CaStore, CertificateAuthority } from '../ca/dev_ca.ts';
import { certificateSpki, publicKeyOf, sameKey } from '../ca/spki.ts';
import type { Hsm } from '../hsm/hsm.ts';
import { buildTimestampToken } from './token_builder.ts';
import type { Tsa } from './tsa.ts';

const TSA_KEY_LABEL = 'rssp-tsa';
const TSA_COMMON_NAME = 'RSSP Time-Stamping Authority';
const RENEW_BEFORE_MS = 30 * 86_400_000;

export async function ensureLocalTsa(deps: {
  hsm: Hsm;
  ca: CertificateAuthority;
  store: CaStore;
  policy: string;
  now: () => Date;
}): Promise<Tsa> {
  const { hsm, ca, store, now } = deps;
  const pair = (await hsm.findKeyPair(TSA_KEY_LABEL)) ?? (await hsm.generateKeyPair({ algo: 'EC-P256', label: TSA_KEY_LABEL }));
  const key = publicKeyOf(pair.spki);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`HSM key '${TSA_KEY_LABEL}' is not an EC P-256 key`);
  }
  let certificate = await store.get(TSA_KEY_LABEL);
  if (!certificate || !usable(certificate, pair.spki, ca.certificate, now())) {
    certificate = await ca.issue({ spki: pair.spki, subject: { commonName: TSA_COMMON_NAME }, profile: 'timestamping' });
    await store.put(TSA_KEY_LABEL, certificate);
  }
  const signer = { hsm, key: { keyId: pair.keyId, spki: pair.spki }, certificate, policy: deps.policy };
  return {
    kind: 'local',
    certificates: () => [certificate],
    async timestamp(req) {
      const token = await buildTimestampToken(signer, req, now());
      // Fail closed: a token that does not pass the checks any relying party makes is never handed out.
      const verdict = verifyTimestampToken(token, { digest: req.digest, hashAlgorithmOID: req.hashAlgorithmOID, nonce: req.nonce, trusted: [certificate] });
      if (!verdict.ok) throw new SamError('SAM_SIGNATURE_VERIFY_FAILED', `own timestamp token: ${verdict.reason}`);
      return { token, info: verdict.info };
    },
  };
}

function usable(der: Uint8Array, spki: Uint8Array, caDer: Uint8Array, now: Date): boolean {
  try {
    if (!sameKey(publicKeyOf(certificateSpki(der)), publicKeyOf(spki))) return false;
    const cert = new X509Certificate(der);
    const root = new X509Certificate(caDer);
    if (!cert.checkIssued(root) || !cert.verify(root.publicKey)) return false;
    return new Date(cert.validTo).getTime() - now.getTime() > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}
