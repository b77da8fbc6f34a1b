// The pieces of the /csc/v1 adapter that the black-box flow (test/e2e/v1_flow.test.ts) cannot reach one by one:
// page tokens, the v1 → v2 renaming of request fields, the v1 wording of refusals, and the v1 layouts of info and
// credentials/info, checked against openapi/csc-v1.yaml.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config.ts';
import { CscError } from '../../../core/errors.ts';
import { validateV1Response } from '../../../openapi/validate_v1.ts';
import type { CredentialInfoView } from '../../../rssp/app/credential_view.ts';
import { serviceInfoV1 } from '../../../rssp/http/v1/actions/info.ts';
import { credentialAfter, pageTokenAfter } from '../../../rssp/http/v1/actions/credentials_list.ts';
import { toV1Info } from '../../../rssp/http/v1/actions/credentials_info.ts';
import { toV1Error } from '../../../rssp/http/v1/errors.ts';
import { V1_METHODS } from '../../../rssp/http/v1/methods.ts';
import { asV2Body } from '../../../rssp/http/v1/steps/as_v2_body.ts';
import { bodyOf } from '../../../rssp/http/steps/validate_body.ts';
import { refuseOutOfBandApproval } from '../../../rssp/http/v1/steps/refuse_out_of_band_approval.ts';
import type { RsspDeps } from '../../../rssp/http/deps.ts';
import type { CscContext } from '../../../rssp/http/step.ts';
import { limitAuthorize, limitLogin } from '../../../rssp/http/steps/rate_limit.ts';
import { authLoginV1 } from '../../../rssp/http/v1/actions/auth_login.ts';
import { credentialsAuthorizeV1 } from '../../../rssp/http/v1/actions/credentials_authorize.ts';
import { authLogin } from '../../../rssp/http/actions/auth_login.ts';
import { authRevoke } from '../../../rssp/http/actions/auth_revoke.ts';
import { credentialsAuthorize } from '../../../rssp/http/actions/credentials_authorize.ts';
import { credentialsExtendTransaction } from '../../../rssp/http/actions/credentials_extend_transaction.ts';
import { credentialsGetChallenge } from '../../../rssp/http/actions/credentials_get_challenge.ts';
import { credentialsList } from '../../../rssp/http/actions/credentials_list.ts';
import { signaturesSignHash } from '../../../rssp/http/actions/signatures_sign_hash.ts';
import type { Action } from '../../../rssp/http/step.ts';
import { authRevokeV1 } from '../../../rssp/http/v1/actions/auth_revoke.ts';
import { credentialsExtendTransactionV1 } from '../../../rssp/http/v1/actions/credentials_extend_transaction.ts';
import { credentialsListV1 } from '../../../rssp/http/v1/actions/credentials_list.ts';
import { credentialsSendOtpV1 } from '../../../rssp/http/v1/actions/credentials_send_otp.ts';
import { signaturesSignHashV1 } from '../../../rssp/http/v1/actions/signatures_sign_hash.ts';

describe('v1 page tokens', () => {
  it('round-trip a credential id, including unusual characters', () => {
    for (const id of ['a', 'cred-123', 'ünïcode/+=', 'x'.repeat(255)]) expect(credentialAfter(pageTokenAfter(id))).toBe(id);
  });

  it('refuse anything the service did not issue', () => {
    for (const token of ['not-a-token', '!!', 'YWZ0ZXI6', Buffer.from('before:x').toString('base64url'), pageTokenAfter('x') + '=']) {
      expect(() => credentialAfter(token), token).toThrowError(new CscError('v1InvalidPageToken'));
    }
  });
});

describe('asV2Body', () => {
  // As validateV1Body leaves it: the v1 body under its method's name.
  const run = (body: Record<string, unknown>) => {
    const ctx = { state: { body, validatedV1: { 'signatures/signHash': body } } } as unknown as CscContext;
    void asV2Body('signatures/signHash')(ctx, undefined as never);
    return ctx.state.body;
  };

  it('renames hash and hashAlgo and keeps the other fields', () => {
    expect(run({ credentialID: 'c', SAD: 's', hash: ['h'], hashAlgo: '2.16.840.1.101.3.4.2.1', signAlgo: '1.2', clientData: 'x' })).toEqual({
      credentialID: 'c',
      SAD: 's',
      hashes: ['h'],
      hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
      signAlgo: '1.2',
      clientData: 'x',
    });
  });

  it('drops v2 names sent to v1, so they cannot stand in for the validated v1 fields', () => {
    expect(run({ hash: ['v1'], hashes: ['v2'], hashAlgorithmOID: '1.2.3' })).toEqual({ hashes: ['v1'] });
  });

  it('credentials/authorize: PIN and OTP become authData, and a v2 authData or hash algorithm sent to v1 is dropped', () => {
    const body = { credentialID: 'c', numSignatures: 1, hash: ['h'], PIN: '1234', OTP: '654321', authData: [{ id: 'PIN', value: 'v2' }], hashAlgo: '1.2.3' };
    const ctx = { state: { body, validatedV1: { 'credentials/authorize': body } } } as unknown as CscContext;
    void asV2Body('credentials/authorize')(ctx, undefined as never);
    expect(ctx.state.body).toEqual({ credentialID: 'c', numSignatures: 1, hashes: ['h'], authData: [{ id: 'PIN', value: '1234' }, { id: 'OTP', value: '654321' }] });
    expect(bodyOf(ctx, 'credentials/authorize')).toBe(ctx.state.body);
  });

  it('is a step-order bug, not a client error, when the v1 body was not validated for that method', () => {
    const ctx = { state: { body: {}, validatedV1: { 'auth/login': {} } } } as unknown as CscContext;
    expect(() => asV2Body('signatures/signHash')(ctx, undefined as never)).toThrowError('step order: the v1 body of signatures/signHash is not validated');
    expect(() => bodyOf(ctx, 'signatures/signHash')).toThrowError('step order: the body of signatures/signHash is not validated');
  });
});

describe('toV1Error', () => {
  it('re-words refusals that name a v2 parameter, keeping status and headers', () => {
    expect(toV1Error(new CscError('hashesRequired')).toJSON()).toEqual({ error: 'invalid_request', error_description: 'Missing (or invalid type) array parameter hash' });
    expect(toV1Error(new CscError('missingHashAlgorithmOID')).toJSON()).toEqual({ error: 'invalid_request', error_description: 'Missing (or invalid type) string parameter hashAlgo' });
    expect(toV1Error(new CscError('invalidHashAlgorithmOID')).toJSON()).toEqual({ error: 'invalid_request', error_description: 'Invalid parameter hashAlgo' });
    const withHeaders = new CscError('insufficientScope', { headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' } });
    expect(toV1Error(withHeaders)).toBe(withHeaders);
  });
});

describe('v1 layouts', () => {
  const view: CredentialInfoView = {
    description: 'My key',
    key: { status: 'enabled', algo: ['1.2.840.10045.4.3.2', '1.2.840.10045.2.1'], len: 256, curve: '1.2.840.10045.3.1.7' },
    cert: { status: 'valid', certificates: ['MAA='] },
    auth: { mode: 'explicit' },
    SCAL: '2',
    multisign: 4,
    lang: 'en-US',
  };

  it('credentials/info: authMode, SCAL, multisign; PIN and OTP only with authInfo and in explicit mode', () => {
    const withAuth = toV1Info(view, true);
    expect(validateV1Response('credentials/info', 200, withAuth)).toEqual([]);
    expect(withAuth).toMatchObject({ authMode: 'explicit', SCAL: '2', multisign: 4, PIN: { presence: 'true', format: 'N' }, OTP: { presence: 'true', type: 'offline', ID: 'totp' } });
    const bare = toV1Info(view, false);
    expect(validateV1Response('credentials/info', 200, bare)).toEqual([]);
    expect(bare.PIN).toBeUndefined();
    const oauth = toV1Info({ ...view, auth: { mode: 'oauth2code' } }, true);
    expect(validateV1Response('credentials/info', 200, oauth)).toEqual([]);
    expect(oauth).toMatchObject({ authMode: 'oauth2code' });
    expect(oauth.OTP).toBeUndefined();
  });

  it('credentials/info: an OTP sent by e-mail or SMS is "online" (sendOTP first), a TOTP is "offline"', () => {
    for (const channel of ['email', 'sms'] as const) {
      const info = toV1Info(view, true, channel);
      expect(validateV1Response('credentials/info', 200, info)).toEqual([]);
      expect(info.OTP).toMatchObject({ presence: 'true', type: 'online', ID: channel });
    }
    expect(toV1Info(view, true, 'totp').OTP).toMatchObject({ type: 'offline', ID: 'totp' });
  });

  it('info: v1 version string and exactly the routed methods', () => {
    const info = serviceInfoV1(loadConfig({ NODE_ENV: 'test' }));
    expect(validateV1Response('info', 200, info)).toEqual([]);
    expect(info.specs).toBe('1.0.4.0');
    expect(info.methods).toEqual([...V1_METHODS]);
  });
});

describe('v1 actions run the named steps of their v2 counterparts', () => {
  // Factory steps (requireBearer(), readJsonBody()…) are anonymous; the named ones are the method-specific checks
  // and throttles. A check added to a v2 action must be added to its v1 twin, or listed here with the reason.
  const V1_HAS_NO_SUCH_PARAMETER: Record<string, string> = {
    readOperationMode: 'v1 signHash has no operationMode',
    keepUsableIfAsked: 'v1 credentials/list has no onlyValid',
    checkAuthObjectID: 'v1 sendOTP has no authObjectID',
  };
  const pairs: [string, Action, Action][] = [
    ['auth/login', authLogin, authLoginV1],
    ['auth/revoke', authRevoke, authRevokeV1],
    ['credentials/list', credentialsList, credentialsListV1],
    ['credentials/authorize', credentialsAuthorize, credentialsAuthorizeV1],
    ['credentials/extendTransaction', credentialsExtendTransaction, credentialsExtendTransactionV1],
    ['credentials/getChallenge ~ sendOTP', credentialsGetChallenge, credentialsSendOtpV1],
    ['signatures/signHash', signaturesSignHash, signaturesSignHashV1],
  ];
  const named = (action: Action) => action.map((step) => step.name).filter((name) => name !== '' && !Object.hasOwn(V1_HAS_NO_SUCH_PARAMETER, name));

  for (const [name, v2, v1] of pairs) {
    it(name, () => {
      const v1Names = named(v1);
      const missing = named(v2).filter((step) => !v1Names.includes(step));
      expect(missing).toEqual([]);
    });
  }

  it('the throttles come at the same place as in v2', () => {
    expect(authLoginV1.indexOf(limitLogin)).toBe(authLogin.indexOf(limitLogin));
    expect(credentialsAuthorizeV1.indexOf(limitAuthorize)).toBe(credentialsAuthorize.indexOf(limitAuthorize));
  });
});

describe('refuseOutOfBandApproval', () => {
  const run = (approval: string | undefined) => {
    const ctx = { state: { credential: { credentialID: 'c1' } } } as unknown as CscContext;
    const asked: string[][] = [];
    const deps = { credentials: { approvalOf: async (id: string) => (asked.push([id]), approval ?? null) } } as unknown as RsspDeps;
    return { result: refuseOutOfBandApproval(ctx, deps), asked };
  };

  it('refuses a credential the SAM approves out of band: v1 has no 202, and must not activate it inline', async () => {
    const { result, asked } = run('async');
    await expect(result).rejects.toThrowError(new CscError('v1ApprovalOutOfBand'));
    expect(asked).toEqual([['c1']]);
  });

  it('lets inline credentials through, and credentials the SAM does not know (it refuses them itself)', async () => {
    await expect(run('inline').result).resolves.toBeUndefined();
    await expect(run(undefined).result).resolves.toBeUndefined();
  });
});
