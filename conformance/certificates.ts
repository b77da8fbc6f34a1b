// The certificate facts of credentials/list and credentials/info (CSC v2 §11.4 credentialInfo): base64 DER
// certificates, end entity first, each issued by the next; certInfo fields that agree with the certificate.
import { X509Certificate } from 'node:crypto';
import { base64Problem, generalizedTimeToDate, isGeneralizedTime, isHex, isObject } from './encodings.ts';

/** Parses cert/certificates; returns the chain and the problems found (encoding, parse errors). */
export function parseChain(certificates: unknown): { chain: X509Certificate[]; issues: string[] } {
  const issues: string[] = [];
  const chain: X509Certificate[] = [];
  if (!Array.isArray(certificates) || certificates.length === 0) return { chain, issues: ['cert.certificates is not a non-empty array'] };
  certificates.forEach((c, i) => {
    const problem = base64Problem(c);
    if (problem) issues.push(`cert.certificates[${i}] ${problem}`);
    if (typeof c !== 'string') return;
    try {
      chain.push(new X509Certificate(Buffer.from(c, 'base64')));
    } catch {
      issues.push(`cert.certificates[${i}] is not a DER X.509 certificate`);
    }
  });
  return { chain, issues };
}

/** End entity first and each certificate issued (and signed) by the next one (CSC v2 §11.4 cert/certificates). */
export function chainOrderIssues(chain: X509Certificate[]): string[] {
  const issues: string[] = [];
  if (chain.length > 1 && chain[0]!.ca) issues.push('cert.certificates[0] is a CA certificate, not the end entity');
  for (let i = 0; i + 1 < chain.length; i++) {
    const [child, parent] = [chain[i]!, chain[i + 1]!];
    if (!child.checkIssued(parent)) issues.push(`cert.certificates[${i}] is not issued by cert.certificates[${i + 1}] (wrong order or foreign certificate)`);
    else if (!child.verify(parent.publicKey)) issues.push(`the signature on cert.certificates[${i}] does not verify under cert.certificates[${i + 1}]`);
  }
  return issues;
}

const normalizeSerial = (s: string) => s.toUpperCase().replace(/^0+(?=.)/, '');

function toGeneralizedTime(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').replace(/\.\d{3}/, '');
}

/** certInfo fields (CSC v2 §11.4): present, well encoded, and equal to what the end-entity certificate says. */
export function certInfoIssues(cert: Record<string, unknown>, ee: X509Certificate | undefined): string[] {
  const issues: string[] = [];
  for (const k of ['issuerDN', 'subjectDN']) if (typeof cert[k] !== 'string' || !cert[k]) issues.push(`cert.${k} is missing or empty`);
  if (!isHex(cert.serialNumber)) issues.push(`cert.serialNumber ${JSON.stringify(cert.serialNumber)} is not a hex string`);
  else if (ee && normalizeSerial(cert.serialNumber) !== normalizeSerial(ee.serialNumber)) {
    issues.push(`cert.serialNumber ${cert.serialNumber} differs from the certificate's ${ee.serialNumber}`);
  }
  for (const [k, actual] of [
    ['validFrom', ee && new Date(ee.validFrom)],
    ['validTo', ee && new Date(ee.validTo)],
  ] as const) {
    const v = cert[k];
    if (!isGeneralizedTime(v)) issues.push(`cert.${k} ${JSON.stringify(v)} is not GeneralizedTime YYYYMMDDHHMMSSZ`);
    else if (actual && generalizedTimeToDate(v).getTime() !== actual.getTime()) issues.push(`cert.${k} ${v} differs from the certificate's ${toGeneralizedTime(actual)}`);
  }
  if (cert.status !== undefined) {
    if (!['valid', 'expired', 'revoked', 'suspended'].includes(cert.status as string)) issues.push(`cert.status ${JSON.stringify(cert.status)} is not valid|expired|revoked|suspended`);
    const now = Date.now();
    if (cert.status === 'valid' && ee && (new Date(ee.validFrom).getTime() > now || new Date(ee.validTo).getTime() < now)) issues.push('cert.status is "valid" but the certificate is outside its validity period');
  }
  return issues;
}

export const certOf = (info: Record<string, unknown>): Record<string, unknown> | undefined => (isObject(info.cert) ? info.cert : undefined);
