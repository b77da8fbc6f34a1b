// The credentialInfo object of CSC v2 §11.4, which credentials/info (§11.5) returns at top level and
// credentials/list returns per credential. Record (rssp) + state (SAM) + what the client asked for.
import type { CredentialState } from '../../core/sam_port.ts';
import { describeCertificate } from '../../core/cert_info.ts';
import type { AuthMode, CredentialRecord, Scal } from './credential.ts';
import { sealView } from './seal_view.ts';

/** The only language the service speaks; CSC v2 §11.1 lets us answer in ours when another is asked for. */
export const SERVICE_LANG = 'en-US';

export type CertificatesParam = 'none' | 'single' | 'chain';

export type ViewOptions = {
  /** CSC v2 §11.4 certificates: default "single". */
  certificates: CertificatesParam;
  certInfo: boolean;
  authInfo: boolean;
};

export type AuthObject = {
  /** "ChallengeResponse" for an OTP sent out of band after credentials/getChallenge (CSC v2 §8.3.1.5, §11.8). */
  type: 'Password' | 'ChallengeResponse';
  id: 'PIN' | 'OTP';
  format: 'N' | 'A';
  generator?: 'totp';
  label: string;
  description: string;
};

export type CredentialInfoView = {
  description?: string;
  /** Set for e-seals only (seal_view.ts). */
  signatureQualifier?: string;
  key: { status: 'enabled' | 'disabled'; algo: string[]; len: number; curve?: string };
  cert: {
    status?: 'valid' | 'expired';
    certificates?: string[];
    issuerDN?: string;
    serialNumber?: string;
    subjectDN?: string;
    validFrom?: string;
    validTo?: string;
  };
  auth: { mode: AuthMode; expression?: string; objects?: AuthObject[] };
  SCAL: Scal;
  multisign: number;
  lang: string;
};

/** Both factors, always: the SAM checks PIN AND OTP before it mints a SAD (DESIGN §2.1). */
const AUTH_EXPRESSION = 'PIN AND OTP';
export const AUTH_OBJECTS: AuthObject[] = [
  { type: 'Password', id: 'PIN', format: 'N', label: 'PIN', description: 'The signing PIN chosen for this credential' },
  {
    type: 'Password',
    id: 'OTP',
    format: 'N',
    generator: 'totp',
    label: 'OTP',
    description: 'The 6-digit code shown by your authenticator app',
  },
];

/** The OTP object of a credential whose code is sent by e-mail or SMS: the application calls
 *  credentials/getChallenge with authObjectID "OTP" (answered 204), then sends what the person received. */
function outOfBandOtpObject(channel: 'email' | 'sms'): AuthObject {
  return {
    type: 'ChallengeResponse',
    id: 'OTP',
    format: 'N',
    label: 'OTP',
    description: channel === 'email' ? 'The code sent to your e-mail address' : 'The code sent to your phone by SMS',
  };
}

/** The authentication objects of a credential, by where its one-time password comes from. */
function authObjectsFor(state: CredentialState): AuthObject[] {
  const channel = state.otpChannel;
  return AUTH_OBJECTS.map((o) => (o.id === 'OTP' && channel !== 'totp' ? outOfBandOtpObject(channel) : { ...o }));
}

export type CertValidity = 'valid' | 'expired' | 'notYetValid' | 'unknown';

/** Validity of the end-entity certificate at `now`, from the dates the SAM bound with the chain. */
function certValidity(state: CredentialState, now: Date): CertValidity {
  if (!state.notBefore || !state.notAfter) return 'unknown';
  const t = now.getTime();
  if (t < Date.parse(state.notBefore)) return 'notYetValid';
  if (t > Date.parse(state.notAfter)) return 'expired';
  return 'valid';
}

/** CSC v2 §11.4 onlyValid: a credential that can produce a valid signature now. */
export function isUsable(state: CredentialState, now: Date): boolean {
  return state.enabled && !state.locked && certValidity(state, now) === 'valid';
}

const b64 = (der: Uint8Array) => Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');

export async function credentialInfoView(
  record: CredentialRecord,
  state: CredentialState,
  opts: ViewOptions,
  now: Date = new Date(),
): Promise<CredentialInfoView> {
  const validity = certValidity(state, now);
  const cert: CredentialInfoView['cert'] = {};
  // cert/status is optional and must be accurate (CSC v2 §11.4): we know expiry, not revocation, and the
  // enum has no "not yet valid", so in that case and when dates are unknown the status is left out.
  if (validity === 'valid' || validity === 'expired') cert.status = validity;
  if (opts.certificates === 'single') cert.certificates = record.certificates.slice(0, 1).map(b64);
  if (opts.certificates === 'chain') cert.certificates = record.certificates.map(b64);
  if (opts.certInfo) {
    const info = await describeCertificate(record.certificates[0]!);
    cert.issuerDN = info.issuerDN;
    cert.serialNumber = info.serialNumber;
    cert.subjectDN = info.subjectDN;
    cert.validFrom = info.validFrom;
    cert.validTo = info.validTo;
  }

  const auth: CredentialInfoView['auth'] = { mode: record.authMode };
  const seal = sealView(record); // an organisation's e-seal has factors of its own
  // expression and objects only exist for explicit authorization (CSC v2 §11.4 auth/expression, auth/objects).
  if (opts.authInfo && record.authMode === 'explicit') {
    auth.expression = seal?.expression ?? AUTH_EXPRESSION;
    auth.objects = seal?.objects ?? authObjectsFor(state);
  }

  return {
    ...(record.description !== null ? { description: record.description } : {}),
    ...(seal ? { signatureQualifier: seal.signatureQualifier } : {}),
    key: {
      // "disabled" also when the certificate has expired: the key cannot produce a valid signature then.
      status: state.enabled && validity !== 'expired' ? 'enabled' : 'disabled',
      algo: [...state.signAlgos],
      len: state.keyLength,
      ...(state.curve ? { curve: state.curve } : {}),
    },
    cert,
    auth,
    SCAL: record.scal,
    multisign: record.multisign,
    lang: SERVICE_LANG,
  };
}
