// Accepting certificates issued elsewhere (SAM port installCertificates, issue #2 §6): the chain must be for the
// credential's own key and hold together signature by signature. Trust in the last certificate is the
// operator's decision when installing it; CSC v2 §11.5 only asks that cert/certificates be end-entity first.
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  KeyUsage,
  KeyUsageFlags,
  Version,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  type Certificate,
  type Name,
} from '@peculiar/asn1-x509';
import type { KeyObject } from 'node:crypto';
import { formatName, parseCertificate } from '../../core/cert_info.ts';
import { SamError } from '../../core/sam_port.ts';
import { verifySignature } from './signature_algorithm.ts';
import { publicKeyOf, sameKey } from './spki.ts';

function invalid(reason: string): SamError {
  return new SamError('SAM_CERT_CHAIN_INVALID', reason);
}

/**
 * `certificates` end-entity first (CSC v2 §11.5 cert/certificates). Checks that each one parses, that the
 * end-entity certifies `spki` (SAM_CERT_MISMATCH otherwise), and that each certificate names the next as its
 * issuer and carries a valid signature by it, the next being a CA (RFC 5280 §6.1.3 (a)(1), (a)(4) and §6.1.4
 * (k), (n)). The last certificate's own signature is not checked: a trust anchor is trusted, not verified
 * (RFC 5280 §6.1.1 (d)). Validity periods are not judged here: the SAM refuses an expired or not yet valid
 * certificate when the key is used (DESIGN §2.3), so `now` only documents the moment of the check.
 * Returns the end-entity validity.
 */
export function checkChain(certificates: Uint8Array[], spki: Uint8Array, now: Date = new Date()): { notBefore: Date; notAfter: Date } {
  void now;
  if (certificates.length === 0) throw invalid('the certificate list is empty');
  const parsed = certificates.map((der, i) => {
    try {
      return parseCertificate(der);
    } catch {
      throw invalid(`certificate ${i} is not a DER X.509 certificate`);
    }
  });
  const keys = parsed.map((cert, i) => {
    try {
      return publicKeyOf(new Uint8Array(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo)));
    } catch {
      throw invalid(`certificate ${i} has a public key that cannot be read`);
    }
  });
  if (!sameKey(keys[0]!, publicKeyOf(spki))) {
    throw new SamError('SAM_CERT_MISMATCH', "the end-entity certificate is not for the credential's key");
  }
  for (let i = 0; i + 1 < parsed.length; i++) checkLink(parsed[i]!, parsed[i + 1]!, keys[i + 1]!, i);
  const validity = parsed[0]!.tbsCertificate.validity;
  return { notBefore: validity.notBefore.getTime(), notAfter: validity.notAfter.getTime() };
}

function checkLink(cert: Certificate, issuer: Certificate, issuerKey: KeyObject, i: number): void {
  const at = `certificate ${i}`;
  const by = `certificate ${i + 1}`;
  if (!sameName(cert.tbsCertificate.issuer, issuer.tbsCertificate.subject)) {
    throw invalid(`${at} is not issued by ${by} (issuer and subject names differ); certificates must be end-entity first`);
  }
  checkIsCa(issuer, by);
  // RFC 5280 §4.1.1.2: the outer algorithm must repeat the one inside the signed part.
  const inner = AsnConvert.serialize(cert.tbsCertificate.signature);
  const outer = AsnConvert.serialize(cert.signatureAlgorithm);
  if (!Buffer.from(inner).equals(Buffer.from(outer))) throw invalid(`${at} has differing inner and outer signature algorithms`);
  if (!cert.tbsCertificateRaw) throw invalid(`${at} has no signed part`);
  const check = verifySignature(cert.signatureAlgorithm, new Uint8Array(cert.tbsCertificateRaw), new Uint8Array(cert.signatureValue), issuerKey);
  if (!check.ok) throw invalid(`${at} is not signed by ${by}: ${check.reason}`);
}

/** RFC 5280 §6.1.4 (k) and (n): a v3 issuer must say cA=true and, when it limits key usage, allow keyCertSign.
 *  v1 certificates (no extensions) predate the rule and are accepted as issuers. */
function checkIsCa(cert: Certificate, which: string): void {
  const tbs = cert.tbsCertificate;
  if (tbs.version !== Version.v3) return;
  const ext = (oid: string) => tbs.extensions?.find((e) => e.extnID === oid)?.extnValue.buffer;
  try {
    const bc = ext(id_ce_basicConstraints);
    if (!bc || !AsnConvert.parse(bc, BasicConstraints).cA) throw invalid(`${which} is not a CA certificate (basicConstraints cA is not true)`);
    const ku = ext(id_ce_keyUsage);
    if (ku && !(AsnConvert.parse(ku, KeyUsage).toNumber() & KeyUsageFlags.keyCertSign)) {
      throw invalid(`${which} may not sign certificates (keyUsage lacks keyCertSign)`);
    }
  } catch (e) {
    if (e instanceof SamError) throw e;
    throw invalid(`${which} has a malformed basicConstraints or keyUsage extension`);
  }
}

/** DER equality, else RFC 4518-style caseIgnoreMatch approximated on the RFC 4514 strings (case folded,
 *  inner whitespace collapsed), since CAs re-encode names (PrintableString vs UTF8String) between levels. */
function sameName(a: Name, b: Name): boolean {
  if (Buffer.from(AsnConvert.serialize(a)).equals(Buffer.from(AsnConvert.serialize(b)))) return true;
  const norm = (n: Name) => formatName(n).toLowerCase().replace(/\s+/g, ' ');
  return norm(a) === norm(b);
}
