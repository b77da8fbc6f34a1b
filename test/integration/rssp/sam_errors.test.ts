// Every SAM refusal code reaches the client as the decided CSC error (rssp/http/sam_errors.ts), through the real
// routes: activate via credentials/authorize, signHash via signatures/signHash, state via credentials/info.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SamErrorCode } from '../../../core/sam_port.ts';
import { SAM_ERROR_TABLE } from '../../../core/sam_errors.ts';
import { addCredential, b64, csc, OID, refusal, samError, sha256, signer, startApp, type TestApp } from './helpers.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.close());

const INVALID_REQUEST = 'invalid_request';
const TABLE: [SamErrorCode, number, string, string][] = [
  ['SAM_CREDENTIAL_UNKNOWN', 400, INVALID_REQUEST, 'Invalid parameter credentialID'],
  ['SAM_NOT_OWNER', 400, INVALID_REQUEST, 'Invalid parameter credentialID'],
  ['SAM_CREDENTIAL_DISABLED', 400, INVALID_REQUEST, 'The credential identified by credentialID is disabled'],
  ['SAM_CREDENTIAL_LOCKED', 400, INVALID_REQUEST, 'Credential locked'],
  ['SAM_CREDENTIAL_TAMPERED', 400, INVALID_REQUEST, 'The credential cannot be used: its record failed the integrity check; contact the service operator'],
  ['SAM_PIN_INVALID', 400, 'invalid_authentication_data', 'The authentication data is invalid'],
  ['SAM_OTP_INVALID', 400, 'invalid_authentication_data', 'The authentication data is invalid'],
  ['SAM_OTP_REUSED', 400, 'invalid_authentication_data', 'The authentication data is invalid'],
  ['SAM_FACTORS_MISSING', 400, 'invalid_authentication_data', 'The authentication data is invalid'],
  ['SAM_OTP_NOT_ENROLLED', 400, INVALID_REQUEST, 'No one-time password is enrolled for the user'],
  ['SAM_HASHES_REQUIRED', 400, INVALID_REQUEST, 'Missing (or invalid type) array parameter hashes'],
  ['SAM_HASH_COUNT_MISMATCH', 400, INVALID_REQUEST, 'The number of hashes does not match numSignatures'],
  ['SAM_NUM_SIGNATURES_INVALID', 400, INVALID_REQUEST, 'Invalid value for parameter numSignatures'],
  ['SAM_TOO_MANY_SIGNATURES', 400, INVALID_REQUEST, 'Numbers of signatures is too high'],
  ['SAM_SAD_INVALID', 400, INVALID_REQUEST, 'Invalid parameter SAD'],
  ['SAM_SAD_REVOKED', 400, INVALID_REQUEST, 'Invalid parameter SAD'],
  ['SAM_SAD_WRONG_CREDENTIAL', 400, INVALID_REQUEST, 'Invalid parameter SAD'],
  ['SAM_WRONG_CLIENT', 400, INVALID_REQUEST, 'Invalid parameter SAD'],
  ['SAM_SAD_EXPIRED', 400, INVALID_REQUEST, 'SAD expired'],
  ['SAM_SAD_EXHAUSTED', 400, INVALID_REQUEST, 'The SAD has been used for all the signatures it authorizes'],
  ['SAM_HASH_NOT_AUTHORIZED', 400, INVALID_REQUEST, 'Hash is not authorized by the SAD'],
  ['SAM_DTBSR_MISMATCH', 403, 'invalid_hash', 'Document or documentDigest does not match authroized hash'],
  ['SAM_SIGN_INPUTS_INVALID', 500, 'server_error', 'The service encountered an unexpected condition'],
  ['SAM_HASH_LENGTH', 400, INVALID_REQUEST, 'Invalid digest value length'],
  ['SAM_HASH_ALG_INVALID', 400, INVALID_REQUEST, 'Invalid parameter hashAlgorithmOID'],
  ['SAM_HASH_ALG_MISMATCH', 400, INVALID_REQUEST, 'Invalid parameter hashAlgorithmOID'],
  ['SAM_SIGN_ALGO_INVALID', 400, INVALID_REQUEST, 'Invalid parameter signAlgo'],
  ['SAM_SIGN_ALGO_PARAMS_INVALID', 400, INVALID_REQUEST, 'Invalid parameter signAlgoParams'],
  ['SAM_CERT_NOT_VALID', 400, INVALID_REQUEST, 'The certificate of the credential is not valid at this time'],
  ['SAM_HSM_UNAVAILABLE', 503, 'temporarily_unavailable', 'The signing device is temporarily unavailable'],
  ['SAM_STORE_UNAVAILABLE', 503, 'temporarily_unavailable', 'The service is temporarily unavailable; try again shortly'],
  ['SAM_CHALLENGE_NOT_APPLICABLE', 400, INVALID_REQUEST, 'Invalid parameter authObjectID'],
  ['SAM_CHALLENGE_RATE_LIMITED', 429, 'access_denied', 'Too many one-time passwords requested for this credential; try again later'],
  ['SAM_NO_RECIPIENT', 400, INVALID_REQUEST, 'No e-mail address or phone number is registered to send the one-time password to'],
  ['SAM_NOTIFY_FAILED', 503, 'temporarily_unavailable', 'The one-time password could not be delivered; try again later'],
  ['SAM_SAD_EXTENSION_LIMIT', 400, INVALID_REQUEST, 'The transaction cannot be extended any further'],
  ['SAM_APPROVAL_UNKNOWN', 400, INVALID_REQUEST, 'Invalid parameter handle'],
  ['SAM_APPROVAL_EXPIRED', 400, INVALID_REQUEST, 'The authorization request has expired'],
  ['SAM_APPROVAL_REFUSED', 400, 'access_denied', 'The user refused the authorization'],
  ['SAM_CERT_MISMATCH', 500, 'server_error', 'The service encountered an unexpected condition'],
  ['SAM_CERT_CHAIN_INVALID', 500, 'server_error', 'The service encountered an unexpected condition'],
  ['SAM_SIGNATURE_VERIFY_FAILED', 500, 'server_error', 'The service encountered an unexpected condition'],
  ['SAM_HSM_ERROR', 500, 'server_error', 'The service encountered an unexpected condition'],
  ['SAM_CREDENTIAL_EXISTS', 500, 'server_error', 'The service encountered an unexpected condition'],
  ['SAM_CREDENTIAL_POLICY_INVALID', 500, 'server_error', 'The service encountered an unexpected condition'],
  ['SAM_ACTIVATION_INVALID', 500, 'server_error', 'The service encountered an unexpected condition'],
  ['SAM_ACTIVATION_NOTHING_TO_ACTIVATE', 500, 'server_error', 'The service encountered an unexpected condition'],
  ['SAM_PIN_FORMAT', 500, 'server_error', 'The service encountered an unexpected condition'],
  ['SAM_AUTHZ_SECRET_INVALID', 500, 'server_error', 'The service encountered an unexpected condition'],
  ['SAM_NONCE_INVALID', 400, 'invalid_request', 'Invalid parameter nonce'],
  ['SAM_TSA_UNAVAILABLE', 503, 'temporarily_unavailable', 'The time-stamping authority is temporarily unavailable'],
  ['SAM_TSA_RESPONSE_INVALID', 500, 'server_error', 'The time-stamping authority returned a token that failed verification'],
];

it('the table covers exactly the decided mapping, and every code of the SAM', () => {
  // Named: every code the CSC API answers with something more specific than the generic server error.
  const mapped = TABLE.filter(([, , , description]) => description !== 'The service encountered an unexpected condition').map(([code]) => code).sort();
  const named = Object.entries(SAM_ERROR_TABLE).filter(([, o]) => o.csc !== 'serverError').map(([code]) => code);
  expect(named.sort()).toEqual(mapped);
  expect(TABLE.map(([code]) => code).sort()).toEqual(Object.keys(SAM_ERROR_TABLE).sort());
});

async function setup() {
  const s = signer(app);
  const cred = await addCredential(app, s.user.id, { multisign: 2 });
  return { ...s, cred };
}

describe.each(TABLE)('%s', (code, status, error, description) => {
  it(`credentials/authorize → ${status} ${error}`, async () => {
    const { token, cred } = await setup();
    app.sam.fail.activate = samError(code);
    try {
      const res = await csc(
        app,
        'credentials/authorize',
        { credentialID: cred.credentialID, numSignatures: 1, hashes: [b64(sha256('x'))], hashAlgorithmOID: OID.sha256, authData: [{ id: 'PIN', value: '1' }] },
        { bearer: token },
      );
      expect(res).toMatchObject(refusal(status, error, description));
    } finally {
      delete app.sam.fail.activate;
    }
  });

  it(`signatures/signHash → ${status} ${error}`, async () => {
    const { token, cred } = await setup();
    app.sam.fail.signHash = samError(code);
    try {
      const res = await csc(app, 'signatures/signHash', { credentialID: cred.credentialID, SAD: 's', hashes: [b64(sha256('x'))], signAlgo: OID.ecdsaSha256 }, { bearer: token });
      expect(res).toMatchObject(refusal(status, error, description));
    } finally {
      delete app.sam.fail.signHash;
    }
  });
});

it('maps an error rebuilt from JSON by a remote SAM client the same way', async () => {
  const { token, cred } = await setup();
  const remote = Object.assign(new Error('SAM_SAD_EXPIRED'), { name: 'SamError', code: 'SAM_SAD_EXPIRED' });
  app.sam.fail.signHash = remote;
  try {
    const res = await csc(app, 'signatures/signHash', { credentialID: cred.credentialID, SAD: 's', hashes: [b64(sha256('x'))], signAlgo: OID.ecdsaSha256 }, { bearer: token });
    expect(res).toMatchObject(refusal(400, INVALID_REQUEST, 'SAD expired'));
  } finally {
    delete app.sam.fail.signHash;
  }
});

it('a SAM failure on state() during credentials/info is a 503, logged with its code', async () => {
  const { token, cred } = await setup();
  app.sam.fail.state = samError('SAM_HSM_UNAVAILABLE');
  try {
    const res = await csc(app, 'credentials/info', { credentialID: cred.credentialID }, { bearer: token, headers: { 'x-request-id': 'req-503' } });
    expect(res).toMatchObject(refusal(503, 'temporarily_unavailable', 'The signing device is temporarily unavailable'));
    const line = app.logLines.map((l) => JSON.parse(l)).find((l) => l.requestId === 'req-503');
    expect(line).toMatchObject({ samError: 'SAM_HSM_UNAVAILABLE', detail: 'detail for the log' });
  } finally {
    delete app.sam.fail.state;
  }
});
