// Distinguished names of the certificates and requests we create.
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';

const CN = '2.5.4.3';
const O = '2.5.4.10';
const EMAIL_ADDRESS = '1.2.840.113549.1.9.1';

/** `organization` names the legal person of an e-seal certificate (ETSI EN 319 412-3 §4.2.1: organizationName,
 *  with a commonName the organisation uses for itself, and no personal name). */
export type Subject = { commonName: string; email?: string; organization?: string };

/** Upper bounds of RFC 5280 Appendix A (ub-common-name 64, ub-organization-name 64, ub-emailaddress-length 255). */
const UB_COMMON_NAME = 64;
const UB_ORGANIZATION = 64;
const UB_EMAIL = 255;

function rdn(type: string, value: AttributeValue): RelativeDistinguishedName {
  return new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value })]);
}

/**
 * O when given (e-seals), CN (UTF8String, RFC 5280 §4.1.2.6) and, when given, emailAddress (IA5String, PKCS#9). RFC 5280 wants the
 * address in subjectAltName; the DN copy is the permitted legacy form that many signature validators still show.
 */
export function subjectName(subject: Subject): Name {
  const cn = subject.commonName.trim();
  if (cn.length === 0 || [...cn].length > UB_COMMON_NAME) throw new TypeError(`commonName must have 1 to ${UB_COMMON_NAME} characters`);
  const rdns: RelativeDistinguishedName[] = [];
  if (subject.organization !== undefined) {
    // X.501 order, most general first: the organisation, then the name it uses (as in caName below).
    const o = subject.organization.trim();
    if (o.length === 0 || [...o].length > UB_ORGANIZATION) throw new TypeError(`organization must have 1 to ${UB_ORGANIZATION} characters`);
    rdns.push(rdn(O, new AttributeValue({ utf8String: o })));
  }
  rdns.push(rdn(CN, new AttributeValue({ utf8String: cn })));
  if (subject.email !== undefined) rdns.push(rdn(EMAIL_ADDRESS, new AttributeValue({ ia5String: checkEmail(subject.email) })));
  return new Name(rdns);
}

/** Issuer/subject of the development root: O then CN, most general first (X.501 order). */
export function caName(commonName: string, organization: string): Name {
  return new Name([rdn(O, new AttributeValue({ utf8String: organization })), rdn(CN, new AttributeValue({ utf8String: commonName }))]);
}

/** An rfc822Name and an IA5String hold ASCII only; internationalised addresses (RFC 8398) are out of scope. */
export function checkEmail(email: string): string {
  if (email.length === 0 || email.length > UB_EMAIL || !/^[\x21-\x7e]+@[\x21-\x7e]+$/.test(email)) {
    throw new TypeError('email must be an ASCII address of the form local@domain');
  }
  return email;
}
