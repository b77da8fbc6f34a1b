// The development CA's certificate revocation list (RFC 5280 §5), signed by the CA's key in the HSM, so that
// AdES-B-LT signatures (CSC v2 §11.11) can carry revocation data for the signer's and the TSA's certificates. The
// list is empty: the SAM keeps no record of revoked certificates (a deleted credential's key is destroyed in the
// token, which is what stops its use; its certificate is not listed). One CRL is signed and then served from memory
// until it is half-way to its nextUpdate, so that signing requests do not each cost an HSM signature.
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList, CRLNumber, Extension, id_ce_cRLNumber, TBSCertList, Time, Version, type Name } from '@peculiar/asn1-x509';
import { OctetString } from '@peculiar/asn1-schema';
import { authorityKeyIdentifier, keyIdentifier } from '../../core/x509_extensions.ts';
import type { Hsm } from '../hsm/hsm.ts';
import { arrayBuffer, type IssuerKey } from './certificate_builder.ts';
import { signWithHsm } from './hsm_signer.ts';
import { signingAlgorithmFor } from './signature_algorithm.ts';

/** Default CRL_NEXT_UPDATE_HOURS: a week, the longest interval ETSI EN 319 411-1 (CSS-6.3.9-08) allows a CA. */
export const DEFAULT_CRL_NEXT_UPDATE_HOURS = 168;
/** thisUpdate lies this far in the past, as the certificates' notBefore does, for verifiers whose clock lags. */
const BACKDATE_MS = 60_000;

export type CrlParts = { issuer: Name; thisUpdate: Date; nextUpdate: Date; number: number };

/** A v2 CRL with no revoked certificate, a CRL number and the issuer's key identifier (RFC 5280 §5.2.1, §5.2.3). */
async function buildCrl(hsm: Hsm, issuerKey: IssuerKey, parts: CrlParts): Promise<Uint8Array> {
  const algorithm = signingAlgorithmFor(issuerKey.algo);
  const tbsCertList = new TBSCertList({
    version: Version.v2,
    signature: algorithm.identifier,
    issuer: parts.issuer,
    thisUpdate: new Time(parts.thisUpdate),
    nextUpdate: new Time(parts.nextUpdate),
    crlExtensions: [
      authorityKeyIdentifier(keyIdentifier(issuerKey.spki)),
      new Extension({ extnID: id_ce_cRLNumber, critical: false, extnValue: new OctetString(AsnConvert.serialize(new CRLNumber(parts.number))) }),
    ],
  });
  const tbs = new Uint8Array(AsnConvert.serialize(tbsCertList));
  const signature = await signWithHsm(hsm, issuerKey, algorithm, tbs);
  const crl = new CertificateList({ tbsCertList, signatureAlgorithm: algorithm.identifier, signature: arrayBuffer(signature) });
  return new Uint8Array(AsnConvert.serialize(crl));
}

/**
 * The CA's current CRL, signed on first use and again once half of its validity has passed. The CRL number is
 * thisUpdate in seconds since 1970: it grows from one CRL to the next (RFC 5280 §5.2.3) across restarts and SAM
 * instances without any shared counter.
 */
export function crlCache(hsm: Hsm, key: IssuerKey, issuer: Name, opts: { now: () => Date; nextUpdateHours: number }): () => Promise<Uint8Array> {
  const validityMs = opts.nextUpdateHours * 3_600_000;
  let current: { der: Uint8Array; refreshAt: number } | undefined;
  let pending: Promise<Uint8Array> | undefined;
  return async () => {
    const now = opts.now().getTime();
    if (current && now < current.refreshAt) return current.der;
    // Concurrent callers share one HSM signature.
    pending ??= (async () => {
      try {
        const thisUpdate = new Date(Math.floor((now - BACKDATE_MS) / 1000) * 1000);
        const der = await buildCrl(hsm, key, {
          issuer,
          thisUpdate,
          nextUpdate: new Date(thisUpdate.getTime() + validityMs),
          number: Math.floor(thisUpdate.getTime() / 1000),
        });
        current = { der, refreshAt: thisUpdate.getTime() + validityMs / 2 };
        return der;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };
}
