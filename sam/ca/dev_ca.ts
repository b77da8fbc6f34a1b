// The development CA: a root whose EC P-256 key lives in the HSM and that certifies credential keys, so that a
// fresh installation can sign with certificates that chain somewhere (issue #2 §6). Production sites bind
// certificates from a real CA instead (csr.ts + chain.ts); the O attribute of this root says so to anyone who
// looks at a signature made under it.
import { KeyUsageFlags } from '@peculiar/asn1-x509';
import { parseCertificate } from '../../core/cert_info.ts';
import { SamError } from '../../core/sam_port.ts';
import type { Hsm, KeyPairInfo } from '../hsm/hsm.ts';
import { buildCertificate, type IssuerKey } from './certificate_builder.ts';
import { checkChain } from './chain.ts';
import { crlCache, DEFAULT_CRL_NEXT_UPDATE_HOURS } from './crl.ts';
import {
  authorityKeyIdentifier,
  basicConstraints,
  certificatePolicies,
  crlDistributionPoint,
  extendedKeyUsage,
  keyIdentifier,
  keyUsage,
  subjectAltNameEmail,
  subjectKeyIdentifier,
} from '../../core/x509_extensions.ts';
import { caName, checkEmail, subjectName, type Subject } from './names.ts';
import { certificateSpki, keyAlgoOf, publicKeyOf, sameKey } from './spki.ts';

/** Where the root certificate is kept between starts (the SAM backs it with its own schema). */
export type CaStore = { get(label: string): Promise<Uint8Array | null>; put(label: string, der: Uint8Array): Promise<void> };

export interface CertificateAuthority {
  /** DER of the root certificate. */
  certificate: Uint8Array;
  /** The certificate policies (OIDs) this CA may issue under; `issue` refuses any other. Absent: none. */
  certificatePolicies?: readonly string[];
  /** Certifies `spki` (EC P-256/P-384, RSA 2048/3072) for signing; resolves to the DER end-entity certificate.
   *  `profile` 'timestamping' makes the certificate of a time-stamping authority instead (RFC 3161 §2.3). */
  issue(req: {
    spki: Uint8Array;
    subject: Subject;
    validityDays?: number;
    /** Lifetime in seconds, instead of validityDays: the short-lived certificate of a one-time credential (CSC v2.2). */
    validitySeconds?: number;
    profile?: CertificateProfile;
    /** The policy OID to name in the certificatePolicies extension (RFC 5280 §4.2.1.4); one of certificatePolicies.
     *  Absent: the certificate has no such extension. */
    certificatePolicy?: string;
  }): Promise<Uint8Array>;
  /** DER of the CA's current CRL (RFC 5280 §5), signed by its key and cached (sam/ca/crl.ts). */
  crl(): Promise<Uint8Array>;
}

/** 'signing': a person's signature key (default); 'timestamping': the key of the SAM's time-stamping authority. */
export type CertificateProfile = 'signing' | 'timestamping';

/** id-kp-timeStamping (RFC 3161 §2.3, RFC 5280 §4.2.1.12). */
const ID_KP_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';

export type DevCaOptions = {
  /** CKA_LABEL of the CA key pair and key of the stored certificate. Default 'rssp-dev-ca'. */
  label?: string;
  /** CN of a root created by this call; an existing root keeps its name. Default 'RSSP Development CA'. */
  commonName?: string;
  /** Clock, for tests that need certificates not yet valid or already expired. Default: the system clock. */
  now?: () => Date;
  /** Hours from a CRL's thisUpdate to its nextUpdate (CRL_NEXT_UPDATE_HOURS). Default 168. */
  crlNextUpdateHours?: number;
  /** Where the CA's CRL is published (CRL_URL, default $PUBLIC_URL/ca/crl): named in every certificate it issues
   *  as its CRL distribution point. Absent: the certificates name none. */
  crlUrl?: string;
  /** CA_CERTIFICATE_POLICIES: the policies the CA may issue under. Absent: none. */
  certificatePolicies?: readonly string[];
};

export const DEV_CA_LABEL = 'rssp-dev-ca';
const DEV_CA_COMMON_NAME = 'RSSP Development CA';
const DEV_CA_ORGANIZATION = 'RSSP development — not for production';
const ROOT_VALIDITY_YEARS = 10;
/** 825 days: the longest end-entity lifetime browsers and CA/B Forum rules accepted for years; long enough that a
 *  development credential does not expire under a developer's feet. */
const DEFAULT_VALIDITY_DAYS = 825;
/** Validity starts a minute in the past, so that a verifier whose clock lags ours does not see "not yet valid". */
const BACKDATE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * Finds the CA key by label in the HSM (generating it on the first start) and loads its root certificate from
 * `store` (self-signing and storing one when absent). A stored root that is not for the HSM's key is refused:
 * two tokens sharing one store, or a label reused for another key, must not silently swap the trust anchor.
 */
export async function ensureDevCa(hsm: Hsm, store: CaStore, opts: DevCaOptions = {}): Promise<CertificateAuthority> {
  const label = opts.label ?? DEV_CA_LABEL;
  const now = opts.now ?? (() => new Date());
  let pair = await hsm.findKeyPair(label);
  let certificate: Uint8Array | null = null;
  if (pair) {
    certificate = await store.get(label);
    if (certificate && !sameKey(publicKeyOf(certificateSpki(certificate)), publicKeyOf(pair.spki))) {
      throw new SamError('SAM_CERT_MISMATCH', `the stored certificate of CA '${label}' is not for the key with that label in the HSM`);
    }
  } else {
    // A token without the key (first start, or a re-initialised token): whatever root was stored belonged to a
    // key that no longer exists, so a new root replaces it.
    pair = await hsm.generateKeyPair({ algo: 'EC-P256', label });
  }
  const key = issuerKey(pair);
  if (!certificate) {
    certificate = await selfSign(hsm, key, opts.commonName ?? DEV_CA_COMMON_NAME, now());
    await store.put(label, certificate);
  }
  return devCa(hsm, key, certificate, now, opts.crlNextUpdateHours ?? DEFAULT_CRL_NEXT_UPDATE_HOURS, opts.crlUrl, opts.certificatePolicies ?? []);
}

function issuerKey(pair: KeyPairInfo): IssuerKey {
  const algo = keyAlgoOf(publicKeyOf(pair.spki));
  if (!algo) throw new SamError('SAM_HSM_ERROR', 'the CA key in the HSM is of an unsupported type');
  return { keyId: pair.keyId, spki: pair.spki, algo };
}

/** RFC 5280 §4.2.1.9/§4.2.1.3: a root is cA=true (critical) and may sign certificates and CRLs only. */
async function selfSign(hsm: Hsm, key: IssuerKey, commonName: string, now: Date): Promise<Uint8Array> {
  const name = caName(commonName, DEV_CA_ORGANIZATION);
  const notBefore = wholeSeconds(now.getTime() - BACKDATE_MS);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + ROOT_VALIDITY_YEARS);
  const der = await buildCertificate(hsm, key, {
    issuer: name,
    subject: name,
    spki: key.spki,
    notBefore,
    notAfter,
    extensions: [
      basicConstraints(true),
      keyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign),
      subjectKeyIdentifier(keyIdentifier(key.spki)),
    ],
  });
  checkChain([der], key.spki); // parses back and matches the key: what we store is what we meant
  return der;
}

function devCa(
  hsm: Hsm,
  key: IssuerKey,
  certificate: Uint8Array,
  now: () => Date,
  crlNextUpdateHours: number,
  crlUrl: string | undefined,
  policies: readonly string[],
): CertificateAuthority {
  const root = parseCertificate(certificate).tbsCertificate;
  const caKeyId = keyIdentifier(key.spki);
  const caNotAfterMs = root.validity.notAfter.getTime().getTime();
  return {
    certificate,
    certificatePolicies: policies,
    // The root signs its own CRL: its key usage allows cRLSign (selfSign above).
    crl: crlCache(hsm, key, root.subject, { now, nextUpdateHours: crlNextUpdateHours }),
    async issue(req) {
      const subjectKey = publicKeyOf(req.spki);
      if (!keyAlgoOf(subjectKey)) throw new TypeError('subject key must be EC P-256/P-384 or RSA 2048/3072');
      const days = req.validityDays ?? DEFAULT_VALIDITY_DAYS;
      if (!Number.isInteger(days) || days < 1) throw new TypeError('validityDays must be a positive integer');
      const seconds = req.validitySeconds;
      if (seconds !== undefined && (!Number.isInteger(seconds) || seconds < 1)) throw new TypeError('validitySeconds must be a positive integer');
      // Never a certificate under a policy the operator did not say this CA follows (fail closed).
      const policy = req.certificatePolicy;
      if (policy !== undefined && !policies.includes(policy)) throw new SamError('SAM_CREDENTIAL_POLICY_INVALID', `the CA does not issue under certificate policy ${policy}`);
      const nowMs = now().getTime();
      const notBefore = wholeSeconds(nowMs - BACKDATE_MS);
      // A lifetime in seconds counts from now, not from the back-dated notBefore: the one-time certificate's window
      // is the one asked for. An end-entity certificate never outlives its issuer either.
      const end = seconds === undefined ? notBefore.getTime() + days * DAY_MS : wholeSeconds(nowMs + seconds * 1000).getTime();
      const notAfter = new Date(Math.min(end, caNotAfterMs));
      const timestamping = req.profile === 'timestamping';
      const extensions = [
        // Signing keys: digitalSignature + nonRepudiation (contentCommitment), as for qualified signature
        // certificates of natural persons (ETSI EN 319 412-2, key usage). A TSA key signs tokens only
        // (ETSI EN 319 422 §7: digitalSignature), and RFC 3161 §2.3 wants id-kp-timeStamping as its one extended
        // key usage, marked critical.
        keyUsage(timestamping ? KeyUsageFlags.digitalSignature : KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation),
        basicConstraints(false),
        subjectKeyIdentifier(keyIdentifier(req.spki)),
        authorityKeyIdentifier(caKeyId),
        ...(timestamping ? [extendedKeyUsage([ID_KP_TIME_STAMPING])] : []),
        // A relying party checking a B-B signature, which carries no revocation data, finds the CRL here.
        ...(crlUrl ? [crlDistributionPoint(crlUrl)] : []),
        ...(policy !== undefined ? [certificatePolicies([policy])] : []),
      ];
      if (req.subject.email !== undefined) extensions.push(subjectAltNameEmail(checkEmail(req.subject.email)));
      const der = await buildCertificate(hsm, key, {
        issuer: root.subject,
        subject: subjectName(req.subject),
        spki: req.spki,
        notBefore,
        notAfter,
        extensions,
      });
      checkChain([der, certificate], req.spki); // fail closed if what we built does not chain to the root
      return der;
    },
  };
}

function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}
