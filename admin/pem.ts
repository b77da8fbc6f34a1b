// PEM (RFC 7468) for the admin API: operators handle certificates and requests as text, the SAM as DER.
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { CscError } from '../core/errors.ts';

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle, in file order (end-entity first, CSC v2 §11.5 cert/certificates). Each block
 *  must parse as X.509, so that a truncated paste is refused here with its position rather than deeper down. */
export function certificatesFromPem(bundle: string): Uint8Array[] {
  const blocks = [...bundle.matchAll(CERT_BLOCK)].map((m) => m[1]!.replace(/\s+/g, ''));
  if (blocks.length === 0) {
    throw new CscError('invalidRequest', { description: 'Invalid parameter chain: no PEM certificate found' });
  }
  return blocks.map((b64, i) => {
    const der = new Uint8Array(Buffer.from(b64, 'base64'));
    try {
      AsnConvert.parse(der, Certificate);
    } catch {
      throw new CscError('invalidRequest', { description: `Invalid parameter chain: certificate ${i + 1} is not a valid X.509 certificate` });
    }
    return der;
  });
}
