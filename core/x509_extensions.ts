// X.509 v3 extensions (RFC 5280 §4.2) of the certificates we issue: the development CA's (sam/ca/) and the
// development TLS material of split mode (core/dev_tls.ts).
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  CertificatePolicies,
  CRLDistributionPoints,
  DistributionPoint,
  DistributionPointName,
  ExtendedKeyUsage,
  Extension,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  PolicyInformation,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_certificatePolicies,
  id_ce_cRLDistributionPoints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';

function extension(extnID: string, critical: boolean, value: object): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 over the subjectPublicKey BIT STRING contents. An identifier, not a
 *  security function, so SHA-1 is what every verifier expects here. */
export function keyIdentifier(spki: Uint8Array): Uint8Array {
  const info = AsnConvert.parse(spki, SubjectPublicKeyInfo);
  return new Uint8Array(createHash('sha1').update(new Uint8Array(info.subjectPublicKey)).digest());
}

export function basicConstraints(cA: boolean): Extension {
  // Critical in both roles: RFC 5280 §4.2.1.9 requires it for CAs, and an end-entity that says so cannot be
  // mistaken for a CA by a verifier that skips unknown non-critical extensions.
  return extension(id_ce_basicConstraints, true, new BasicConstraints({ cA }));
}

/** `flags` from KeyUsageFlags; always critical (RFC 5280 §4.2.1.3 SHOULD). */
export function keyUsage(flags: number): Extension {
  return extension(id_ce_keyUsage, true, new KeyUsage(flags));
}

export function subjectKeyIdentifier(id: Uint8Array): Extension {
  return extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(id));
}

export function authorityKeyIdentifier(id: Uint8Array): Extension {
  return extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(id) }));
}

export function subjectAltNameEmail(email: string): Extension {
  return extension(id_ce_subjectAltName, false, new SubjectAlternativeName([new GeneralName({ rfc822Name: email })]));
}

/** RFC 5280 §4.2.1.12, e.g. id-kp-serverAuth / id-kp-clientAuth; critical, so that the certificate serves only them. */
export function extendedKeyUsage(purposes: string[]): Extension {
  return extension(id_ce_extKeyUsage, true, new ExtendedKeyUsage(purposes));
}

/** subjectAltName of a TLS server: host names as dNSName, addresses as iPAddress (RFC 5280 §4.2.1.6). */
export function subjectAltNameHosts(hosts: string[]): Extension {
  const names = hosts.map((h) => (isIP(h) ? new GeneralName({ iPAddress: h }) : new GeneralName({ dNSName: h })));
  return extension(id_ce_subjectAltName, false, new SubjectAlternativeName(names));
}

/** RFC 5280 §4.2.1.13: where relying parties fetch the issuer's CRL, one HTTP URI (served as application/pkix-crl,
 *  DER). Non-critical, as the RFC recommends. */
export function crlDistributionPoint(uri: string): Extension {
  const point = new DistributionPoint({ distributionPoint: new DistributionPointName({ fullName: [new GeneralName({ uniformResourceIdentifier: uri })] }) });
  return extension(id_ce_cRLDistributionPoints, false, new CRLDistributionPoints([point]));
}

/** RFC 5280 §4.2.1.4: the policies the certificate is issued under, each a policyIdentifier without qualifiers.
 *  Non-critical: the RFC leaves it to the issuer, and a critical one would make every relying party that does no
 *  policy processing reject the certificate. */
export function certificatePolicies(oids: string[]): Extension {
  return extension(id_ce_certificatePolicies, false, new CertificatePolicies(oids.map((policyIdentifier) => new PolicyInformation({ policyIdentifier }))));
}
