// What credentials/info publishes about an end-entity certificate (CSC v2 §11.5 cert/subjectDN, cert/issuerDN,
// cert/serialNumber, cert/validFrom, cert/validTo). Lives in core/ because rssp renders it and the SAM stores it,
// and rssp must not import sam internals (DESIGN §6).
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, Name, type AttributeValue } from '@peculiar/asn1-x509';

export type CertificateDescription = {
  /** RFC 4514 string of the subject (CSC v2 §11.5 asks for RFC 4514, UTF-8). */
  subjectDN: string;
  /** RFC 4514 string of the issuer. */
  issuerDN: string;
  /** Serial number as upper-case hex of its unsigned value, e.g. "5AAC41CD8FA22B953640" (CSC v2 §11.5). */
  serialNumber: string;
  /** GeneralizedTime form YYYYMMDDHHMMSSZ (CSC v2 §11.5, RFC 5280 §4.1.2.5.2). */
  validFrom: string;
  validTo: string;
};

export function describeCertificate(der: Uint8Array): CertificateDescription {
  const cert = parseCertificate(der);
  const tbs = cert.tbsCertificate;
  return {
    subjectDN: formatName(tbs.subject),
    issuerDN: formatName(tbs.issuer),
    serialNumber: serialHex(new Uint8Array(tbs.serialNumber)),
    validFrom: generalizedTime(tbs.validity.notBefore.getTime()),
    validTo: generalizedTime(tbs.validity.notAfter.getTime()),
  };
}

/** The first commonName and organizationName of the certificate's subject, where they have a string form: what a
 *  new request for the same subject (a seal's CSR) carries again. */
export function subjectNames(der: Uint8Array): { commonName?: string; organization?: string } {
  const found: { commonName?: string; organization?: string } = {};
  for (const rdn of parseCertificate(der).tbsCertificate.subject) {
    for (const atv of rdn) {
      const text = stringValue(atv.value);
      if (text === undefined) continue;
      if (atv.type === '2.5.4.3') found.commonName ??= text;
      if (atv.type === '2.5.4.10') found.organization ??= text;
    }
  }
  return found;
}

/** Parses DER into the ASN.1 model; a TypeError (not a crash deeper down) for anything else, including bytes
 *  after the certificate (the parser would ignore them, and a stored certificate must be exactly one). */
export function parseCertificate(der: Uint8Array): Certificate {
  try {
    if (outerLength(der) !== der.length) throw new Error('trailing or missing bytes');
    return AsnConvert.parse(der, Certificate);
  } catch (e) {
    throw new TypeError('Not a DER-encoded X.509 certificate', { cause: e });
  }
}

/** Total length (header + contents) of the first DER element, from its definite-length header (X.690 §8.1.3). */
function outerLength(der: Uint8Array): number {
  if (der.length < 2 || der[0] !== 0x30) return -1;
  const first = der[1]!;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 4 || der.length < 2 + n) return -1;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + der[2 + i]!;
  return 2 + n + len;
}

/** YYYYMMDDHHMMSSZ in UTC; fractions of a second are dropped as RFC 5280 §4.1.2.5.2 requires. */
export function generalizedTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:T]/g, '');
}

/** Hex of the unsigned value: DER adds a 0x00 octet in front of positive values whose top bit is set; that octet
 *  is sign padding, not part of the number, and OpenSSL does not print it either. */
function serialHex(bytes: Uint8Array): string {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return Buffer.from(bytes.subarray(start)).toString('hex').toUpperCase();
}

// Attribute types with a registered LDAP short name (RFC 4514 §3 table, plus the descriptors of the IANA LDAP
// registry that certificates commonly carry). Anything else is written as a dotted OID with a #hex value.
const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.12': 'title',
  '2.5.4.17': 'postalCode',
  '2.5.4.42': 'givenName',
  '2.5.4.43': 'initials',
  '2.5.4.44': 'generationQualifier',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.65': 'pseudonym',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/**
 * RFC 4514 §2: RDNs from last to first, separated by ",", multi-valued RDNs joined by "+", string values escaped
 * (§2.4), values without a string form (or of an unknown type) as "#" and the hex of their BER (§2.4).
 */
export function formatName(name: Name | Uint8Array): string {
  const parsed = name instanceof Uint8Array ? AsnConvert.parse(name, Name) : name;
  return [...parsed]
    .reverse()
    .map((rdn) =>
      // Order inside a multi-valued RDN is free (RFC 4514 §2.2); reversing it too gives OpenSSL's RFC 2253
      // rendering exactly, which is what operators compare against.
      [...rdn]
        .reverse()
        .map((atv) => {
          const short = SHORT_NAMES[atv.type];
          const text = short ? stringValue(atv.value) : undefined;
          return text === undefined
            ? `${atv.type}=#${Buffer.from(AsnConvert.serialize(atv.value)).toString('hex')}`
            : `${short}=${escapeValue(text)}`;
        })
        .join('+'),
    )
    .join(',');
}

function stringValue(v: AttributeValue): string | undefined {
  return v.utf8String ?? v.printableString ?? v.ia5String ?? v.bmpString ?? v.universalString ?? v.teletexString;
}

/** RFC 4514 §2.4: escape the special characters, a leading space or "#", a trailing space, and NUL. */
export function escapeValue(s: string): string {
  const chars = [...s];
  return chars
    .map((c, i) => {
      if (c === '\u0000') return '\\00';
      if ('\\,+"<>;'.includes(c)) return `\\${c}`;
      if (i === 0 && (c === ' ' || c === '#')) return `\\${c}`;
      if (i === chars.length - 1 && c === ' ') return '\\ ';
      return c;
    })
    .join('');
}
