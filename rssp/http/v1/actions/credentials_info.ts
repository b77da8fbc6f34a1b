// CSC v1 §11.5 credentials/info in the v1 shape: key{status,algo,len,curve}, cert{...}, authMode, SCAL, PIN{...},
// OTP{...}, multisign. Built from the same view as v2 (rssp/app/credential_view.ts) so the two versions always
// describe a credential the same way; only the layout differs.
import { CscError } from '../../../../core/errors.ts';
import type { V1CredentialsInfoResponse } from '../../../../openapi/types_v1.ts';
import { AUTH_OBJECTS, credentialInfoView, type CredentialInfoView } from '../../../app/credential_view.ts';
import { sealView } from '../../../app/seal_view.ts';
import { loadCredentialStates, loadOwnCredential } from '../../steps/load_credential.ts';
import { readJsonBody } from '../../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../../steps/require_bearer.ts';
import { respond } from '../../steps/respond.ts';
import { required, type Action, type CscContext } from '../../step.ts';
import { v1BodyOf, validateV1Body } from '../steps/validate_v1_body.ts';

const PIN_OBJECT = AUTH_OBJECTS.find((o) => o.id === 'PIN')!;
const OTP_OBJECT = AUTH_OBJECTS.find((o) => o.id === 'OTP')!;

/** How the credential's OTP reaches its owner (CredentialState.otpChannel; absent means an authenticator app). */
export type V1OtpChannel = 'totp' | 'email' | 'sms';

/**
 * The v1 PIN and OTP groups of an explicit credential (CSC v1 §11.5). The SAM always asks for both factors, so
 * both are "true". A TOTP from the user's authenticator app is "offline" (no sendOTP needed); a code the service
 * sends by e-mail or SMS is "online": the client calls credentials/sendOTP first.
 */
function v1AuthGroups(channel: V1OtpChannel = 'totp'): Pick<V1CredentialsInfoResponse, 'PIN' | 'OTP'> {
  const PIN = { presence: 'true', format: PIN_OBJECT.format, label: PIN_OBJECT.label, description: PIN_OBJECT.description } as const;
  if (channel === 'totp') {
    return {
      PIN,
      OTP: {
        presence: 'true',
        type: 'offline',
        format: OTP_OBJECT.format,
        label: OTP_OBJECT.label,
        description: OTP_OBJECT.description,
        ID: 'totp',
        provider: 'RFC 6238 TOTP authenticator app',
      },
    };
  }
  const where = channel === 'email' ? 'e-mail' : 'SMS';
  return {
    PIN,
    OTP: {
      presence: 'true',
      type: 'online',
      format: 'N',
      label: 'OTP',
      description: `The code sent to you by ${where} after credentials/sendOTP`,
      ID: channel,
      provider: `${where} from this service`,
    },
  };
}

export function toV1Info(view: CredentialInfoView, withAuth: boolean, otpChannel?: V1OtpChannel): V1CredentialsInfoResponse {
  return {
    ...(view.description !== undefined ? { description: view.description } : {}),
    key: view.key,
    cert: view.cert,
    authMode: view.auth.mode,
    SCAL: view.SCAL,
    ...(withAuth && view.auth.mode === 'explicit' ? v1AuthGroups(otpChannel) : {}),
    multisign: view.multisign,
    lang: view.lang,
  };
}

async function describeCredential(ctx: CscContext) {
  const body = v1BodyOf(ctx, 'credentials/info');
  const record = required(ctx.state.credential, 'credential');
  const state = required(ctx.state.states, 'states').get(record.credentialID);
  if (!state) throw new CscError('invalidCredentialID');
  const view = await credentialInfoView(record, state, {
    certificates: body.certificates ?? 'single',
    certInfo: body.certInfo === true,
    authInfo: false,
  });
  const info = toV1Info(view, body.authInfo === true, state.otpChannel);
  // A SCAL 1 e-seal is activated with its PIN alone (rssp/app/seal_view.ts): no OTP to announce.
  const seal = sealView(record);
  if (info.OTP && seal && !seal.objects.some((o) => o.id === 'OTP')) info.OTP = { presence: 'false' };
  return info;
}

export const credentialsInfoV1: Action = [
  requireBearer(),
  requireScope('service'),
  readJsonBody(),
  validateV1Body('credentials/info'),
  loadOwnCredential(),
  loadCredentialStates(),
  respond(describeCredential),
];
