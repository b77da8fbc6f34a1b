// Distinguished names of the certificates and requests we create.
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';

const CN = '2.5.4.3';
const O = '2.5.4.10';
const EMAIL_ADDRESS = '1.2.840.113549.1.9.1';

export type Subject = { commonName: string; email?: string };

/** Upper bounds of RFC 5280 Appendix A (ub-common-name 64, ub-emailaddress-length 255). */
const UB_COMMON_NAME = 64;
const UB_EMAIL = 255;

function rdn(type: string, value: AttributeValue): RelativeDistinguishedName {
  return new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value })]);
}

/**
 * CN (UTF8String, RFC 5280 §4.1.2.6) and, when given, emailAddress (IA5String, PKCS#9). RFC 5280 wants the
 * address in subjectAltName; the DN copy is the permitted legacy form that many signature validators still show.
 */
export function subjectName(subject: Subject): Name {
  const cn = subject.commonName.trim();
  if (cn.length === 0 || [...cn].length > UB_COMMON_NAME) throw new TypeError(`commonName must have 1 to ${UB_COMMON_NAME} characters`);
  const rdns = [rdn(CN, new AttributeValue({ utf8String: cn }))];
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
