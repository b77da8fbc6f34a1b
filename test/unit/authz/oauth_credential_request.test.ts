// The reading of a credential authorization request (CSC v2 §8.4.2): CSC parameters or RAR, never both.
import { describe, expect, it } from 'vitest';
import {
  CredentialRequestError,
  parseScope,
  RAR_PARAM,
  RAR_SCOPE_MARK,
  sameAuthorizationDetails,
  type ScopeOptions,
} from '../../../authz/oauth/credential_request.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const h1 = Buffer.alloc(32, 1);
const h2 = Buffer.alloc(32, 2);

function refusal(params: Record<string, unknown>, options: ScopeOptions = {}) {
  try {
    parseScope(params, options);
  } catch (err) {
    if (err instanceof CredentialRequestError) return { error: err.error, description: err.description };
    throw err;
  }
  throw new Error('accepted');
}

const rar = (d: unknown) => ({ [RAR_PARAM]: JSON.stringify(d), scope: 'credential', [RAR_SCOPE_MARK]: '1' });

describe('parseScope', () => {
  it('decodes hashes as strictly as signHash does: one alphabet per value, canonical trailing bits (issue #15 item 4)', () => {
    const std = h1.toString('base64'); // "AQEB…AQE="
    const url = Buffer.alloc(32, 0xfb).toString('base64url'); // "-_v7…": both url-safe characters
    const mixed = `+${url.slice(1)}`; // "+_v7…": one character of each alphabet
    const offBits = `${std.slice(0, -2)}F=`; // same bytes under a lenient decoder, another string
    for (const hashes of [mixed, offBits]) {
      expect(refusal({ scope: 'credential', credentialID: 'c1', numSignatures: '1', hashes, hashAlgorithmOID: SHA256 })).toEqual({
        error: 'invalid_request',
        description: 'Invalid parameter hashes: comma-separated base64url hash values expected',
      });
    }
    expect(parseScope({ scope: 'credential', credentialID: 'c1', numSignatures: '1', hashes: std, hashAlgorithmOID: SHA256 })).toMatchObject({
      request: { documents: [{ hash: new Uint8Array(h1) }] },
    });
  });

  it('defaults to service without scope or authorization_details', () => {
    expect(parseScope({})).toEqual({ kind: 'service' });
    expect(parseScope({ scope: 'service' })).toEqual({ kind: 'service' });
  });

  it('reads the CSC parameters, hashes in base64url and comma-separated', () => {
    const r = parseScope({ scope: 'credential', credentialID: 'c1', numSignatures: '2', hashes: `${h1.toString('base64url')},${h2.toString('base64url')}`, hashAlgorithmOID: SHA256, description: 'two' });
    expect(r).toEqual({
      kind: 'credential',
      request: { style: 'csc', credentialID: 'c1', numSignatures: 2, documents: [{ hash: new Uint8Array(h1) }, { hash: new Uint8Array(h2) }], hashAlgorithmOID: SHA256, description: 'two' },
    });
  });

  it('reads CSC v1 `hash` as hashes, the algorithm told by the digest length when hashAlgorithmOID is absent (v1 §8.3.2)', () => {
    const r = parseScope({ scope: 'credential', credentialID: 'c1', numSignatures: '2', hash: `${h1.toString('base64url')},${h2.toString('base64url')}` });
    expect(r).toEqual({
      kind: 'credential',
      request: { style: 'csc', credentialID: 'c1', numSignatures: 2, documents: [{ hash: new Uint8Array(h1) }, { hash: new Uint8Array(h2) }], hashAlgorithmOID: SHA256, description: undefined },
    });
    const h384 = Buffer.alloc(48, 3);
    expect(parseScope({ scope: 'credential', credentialID: 'c1', numSignatures: '1', hash: h384.toString('base64url') })).toMatchObject({
      request: { hashAlgorithmOID: '2.16.840.1.101.3.4.2.2' },
    });
    // An explicit hashAlgorithmOID is kept (the SAM then checks the lengths against it).
    expect(parseScope({ scope: 'credential', credentialID: 'c1', numSignatures: '1', hash: h1.toString('base64url'), hashAlgorithmOID: SHA256 })).toMatchObject({
      request: { hashAlgorithmOID: SHA256 },
    });
  });

  it('refuses `hash` with `hashes`, digests of an unknown or mixed length, and `hash` outside scope credential', () => {
    expect(refusal({ scope: 'credential', credentialID: 'c1', numSignatures: '1', hash: h1.toString('base64url'), hashes: h1.toString('base64url'), hashAlgorithmOID: SHA256 })).toEqual({
      error: 'invalid_request',
      description: 'hash (CSC v1) and hashes (CSC v2) cannot be combined',
    });
    expect(refusal({ scope: 'credential', credentialID: 'c1', numSignatures: '1', hash: Buffer.alloc(20, 1).toString('base64url') }).description).toBe(
      'Invalid parameter hash: SHA-256, SHA-384 or SHA-512 digests of one length expected',
    );
    expect(refusal({ scope: 'credential', credentialID: 'c1', numSignatures: '2', hash: `${h1.toString('base64url')},${Buffer.alloc(48, 1).toString('base64url')}` }).description).toBe(
      'Invalid parameter hash: SHA-256, SHA-384 or SHA-512 digests of one length expected',
    );
    expect(refusal({ scope: 'credential', credentialID: 'c1', numSignatures: '1', hash: 'not base64!' }).description).toBe(
      'Invalid parameter hash: comma-separated base64url hash values expected',
    );
    expect(refusal({ scope: 'credential', credentialID: 'c1', numSignatures: '2', hash: h1.toString('base64url') }).description).toBe('numSignatures (2) must equal the number of hashes (1)');
    expect(refusal({ scope: 'service', hash: h1.toString('base64url') })).toEqual({ error: 'invalid_request', description: 'hash may only be used with scope credential' });
  });

  it('reads RAR of both type names, normalising hashes to standard base64', () => {
    for (const type of ['credential', 'https://cloudsignatureconsortium.org/2025/credential']) {
      const r = parseScope(rar([{ type, credentialID: 'c1', documentDigests: [{ hash: h1.toString('base64url'), label: 'A' }], hashAlgorithmOID: SHA256 }]));
      expect(r.kind === 'credential' && r.request).toMatchObject({
        style: 'rar',
        numSignatures: 1,
        authorizationDetails: [{ type, credentialID: 'c1', documentDigests: [{ hash: h1.toString('base64'), label: 'A' }], hashAlgorithmOID: SHA256 }],
      });
    }
  });

  it('refuses mixing the two styles, and service with credential', () => {
    const d = [{ type: 'credential', credentialID: 'c1', numSignatures: 1 }];
    expect(refusal({ [RAR_PARAM]: JSON.stringify(d), scope: 'credential' })).toEqual({
      error: 'invalid_request',
      description: 'authorization_details cannot be combined with scope credential or the parameters of scope credential',
    });
    expect(refusal({ ...rar(d), credentialID: 'c1' }).description).toBe(
      'authorization_details cannot be combined with scope credential or the parameters credentialID',
    );
    expect(refusal({ scope: 'service credential' })).toEqual({ error: 'invalid_scope', description: 'scope service cannot be combined with a credential authorization' });
    expect(refusal({ scope: 'service', credentialID: 'c1' })).toEqual({ error: 'invalid_request', description: 'credentialID may only be used with scope credential' });
  });

  it('refuses malformed credential requests with a message that names the problem', () => {
    expect(refusal({ scope: 'credential', numSignatures: '1' }).description).toBe('credentialID is required with scope credential');
    expect(refusal({ scope: 'credential', credentialID: 'c1' }).description).toBe('numSignatures is required with scope credential');
    expect(refusal({ scope: 'credential', credentialID: 'c1', numSignatures: '0' }).description).toBe('numSignatures must be an integer from 1 to 1000');
    expect(refusal({ scope: 'credential', credentialID: 'c1', numSignatures: '1', hashes: 'not base64!', hashAlgorithmOID: SHA256 }).description).toBe(
      'Invalid parameter hashes: comma-separated base64url hash values expected',
    );
    expect(refusal({ scope: 'credential', credentialID: 'c1', numSignatures: '2', hashes: h1.toString('base64url'), hashAlgorithmOID: SHA256 }).description).toBe(
      'numSignatures (2) must equal the number of hashes (1)',
    );
    expect(refusal({ scope: 'credential', credentialID: 'c1', numSignatures: '1', hashes: h1.toString('base64url') }).description).toBe('hashAlgorithmOID is required with hashes');
    expect(refusal({ scope: 'credential', credentialID: 'c1', numSignatures: '1', description: 'x'.repeat(501) }).description).toBe('description is longer than 500 characters');
    expect(refusal(rar('nope'))).toEqual({ error: 'invalid_authorization_details', description: 'authorization_details must be a non-empty JSON array' });
    expect(refusal({ [RAR_PARAM]: '{', scope: 'credential', [RAR_SCOPE_MARK]: '1' }).description).toBe('authorization_details is not valid JSON');
    expect(refusal(rar([{ type: 'payment', credentialID: 'c1' }])).description).toMatch(/^unsupported authorization details type/);
    expect(refusal(rar([{ type: 'credential', signatureQualifier: 'eu_eidas_qes' }])).description).toBe('signatureQualifier is not supported; give credentialID');
    expect(refusal(rar([{ type: 'credential', credentialID: 'c1', documentDigests: [{ hash: h1.toString('base64') }] }])).description).toBe(
      'hashAlgorithmOID is required with documentDigests',
    );
    expect(refusal(rar([{ type: 'credential', credentialID: 'c1' }])).description).toBe('documentDigests or numSignatures is required');
    expect(refusal(rar([{ type: 'credential', credentialID: 'c1' }, { type: 'credential', credentialID: 'c2' }])).description).toBe(
      'exactly one authorization detail is supported per request',
    );
  });
});

describe('sameAuthorizationDetails', () => {
  const approved = [{ type: 'credential', credentialID: 'c1', documentDigests: [{ hash: h1.toString('base64'), label: 'A' }], hashAlgorithmOID: SHA256 }];

  it('accepts the same details in another base64 alphabet or key order', () => {
    const sent = [{ hashAlgorithmOID: SHA256, documentDigests: [{ label: 'A', hash: h1.toString('base64url') }], credentialID: 'c1', type: 'credential' }];
    expect(sameAuthorizationDetails(JSON.stringify(sent), approved)).toBe(true);
  });

  it('refuses any change of credential, hash, label or algorithm, and garbage', () => {
    const variants = [
      { ...approved[0], credentialID: 'c2' },
      { ...approved[0], documentDigests: [{ hash: h2.toString('base64'), label: 'A' }] },
      { ...approved[0], documentDigests: [{ hash: h1.toString('base64'), label: 'B' }] },
      { ...approved[0], hashAlgorithmOID: '2.16.840.1.101.3.4.2.2' },
    ];
    for (const v of variants) expect(sameAuthorizationDetails(JSON.stringify([v]), approved)).toBe(false);
    expect(sameAuthorizationDetails('not json', approved)).toBe(false);
  });

  it('v2.2 details with numSignatures match the approved ones as a jsonb column returns them (its own key order)', () => {
    const v22 = 'https://cloudsignatureconsortium.org/2025/credential';
    const sent = [{ type: v22, credentialID: 'c1', numSignatures: 1, documentDigests: [{ hash: h1.toString('base64'), label: 'A' }], hashAlgorithmOID: SHA256 }];
    // jsonb orders keys by length, then bytes: numSignatures (13) before documentDigests (15).
    const stored = [{ type: v22, credentialID: 'c1', numSignatures: 1, documentDigests: [{ hash: h1.toString('base64'), label: 'A' }], hashAlgorithmOID: SHA256 }];
    const reordered = [{ hashAlgorithmOID: SHA256, documentDigests: stored[0]!.documentDigests, numSignatures: 1, credentialID: 'c1', type: v22 }];
    expect(sameAuthorizationDetails(JSON.stringify(sent), stored)).toBe(true);
    expect(sameAuthorizationDetails(JSON.stringify(reordered), [{ ...stored[0]!, numSignatures: 1 }])).toBe(true);
    expect(sameAuthorizationDetails(JSON.stringify([{ ...sent[0]!, numSignatures: 2 }]), stored)).toBe(false);
  });
});

describe('CSC v2.2 credential creation and deletion details', () => {
  const CREATE = 'https://cloudsignatureconsortium.org/2025/credential-creation';
  const DELETE = 'https://cloudsignatureconsortium.org/2025/credential-deletion';

  it('reads them as kind management, with the action and, for a deletion, the credential', () => {
    expect(parseScope(rar([{ type: 'credential_creation', credentialCreationRequest: null }]))).toEqual({
      kind: 'management',
      request: { action: 'create', authorizationDetails: [{ type: 'credential_creation' }] },
    });
    expect(parseScope(rar([{ type: DELETE, credentialID: 'c1', unknown: 1 }]))).toEqual({
      kind: 'management',
      request: { action: 'delete', credentialID: 'c1', authorizationDetails: [{ type: DELETE, credentialID: 'c1' }] },
    });
    // Not with scope credential's parameters, as for the signing type (§8.4.2).
    expect(refusal({ ...rar([{ type: CREATE }]), credentialID: 'c1' }).description).toBe(
      'authorization_details cannot be combined with scope credential or the parameters credentialID',
    );
  });

  it('matches the approved details under either name of the type, and nothing of another type or credential', () => {
    const approvedDelete = [{ type: DELETE, credentialID: 'c1' }];
    expect(sameAuthorizationDetails(JSON.stringify([{ credentialID: 'c1', type: 'credential_deletion' }]), approvedDelete)).toBe(true);
    expect(sameAuthorizationDetails(JSON.stringify([{ type: DELETE, credentialID: 'c2' }]), approvedDelete)).toBe(false);
    expect(sameAuthorizationDetails(JSON.stringify([{ type: CREATE }]), approvedDelete)).toBe(false);
    const approvedCreate = [{ type: 'credential_creation' }];
    expect(sameAuthorizationDetails(JSON.stringify([{ type: CREATE }]), approvedCreate)).toBe(true);
    // A signing detail for the same id is another authorization altogether.
    expect(sameAuthorizationDetails(JSON.stringify([{ type: 'credential', credentialID: 'c1', numSignatures: 1 }]), approvedDelete)).toBe(false);
    expect(sameAuthorizationDetails(JSON.stringify([{ type: 'credential_deletion', credentialID: 'c1' }]), [{ type: 'credential', credentialID: 'c1', numSignatures: 1 }])).toBe(false);
  });
});

describe('certificate policies of a credential creation (CA_CERTIFICATE_POLICIES)', () => {
  const CREATE = 'https://cloudsignatureconsortium.org/2025/credential-creation';
  const QCP_N_QSCD = '0.4.0.194112.1.2';
  const QCP_N = '0.4.0.194112.1.0';
  const offered = { certificatePolicies: [QCP_N_QSCD] };

  it('grants a policy the CA issues under and keeps it in the approved details', () => {
    expect(parseScope(rar([{ type: CREATE, credentialCreationRequest: { certificatePolicy: QCP_N_QSCD, subjectData: null } }]), offered)).toEqual({
      kind: 'management',
      request: {
        action: 'create',
        certificatePolicy: QCP_N_QSCD,
        authorizationDetails: [{ type: CREATE, credentialCreationRequest: { certificatePolicy: QCP_N_QSCD } }],
      },
    });
  });

  it('refuses any other policy, saying which the CA follows; with none configured, as before', () => {
    const other = rar([{ type: CREATE, credentialCreationRequest: { certificatePolicy: QCP_N } }]);
    expect(refusal(other, offered)).toEqual({
      error: 'invalid_authorization_details',
      description: `certificate policy ${QCP_N} is not offered: the certificates of this service are issued under ${QCP_N_QSCD} only`,
    });
    expect(refusal(rar([{ type: CREATE, credentialCreationRequest: { certificatePolicy: QCP_N_QSCD } }]))).toEqual({
      error: 'invalid_authorization_details',
      description: `certificate policy ${QCP_N_QSCD} is not offered: the certificates of this service carry no certificate policy`,
    });
    // Still an OID first, whatever is offered.
    expect(refusal(rar([{ type: CREATE, credentialCreationRequest: { certificatePolicy: 'qcp-n-qscd' } }]), offered).description).toBe(
      'credentialCreationRequest.certificatePolicy must be an OID',
    );
  });

  it('matches at the token endpoint only the details with the approved policy', () => {
    const approved = [{ type: CREATE, credentialCreationRequest: { certificatePolicy: QCP_N_QSCD } }];
    expect(sameAuthorizationDetails(JSON.stringify([{ type: 'credential_creation', credentialCreationRequest: { certificatePolicy: QCP_N_QSCD } }]), approved)).toBe(true);
    expect(sameAuthorizationDetails(JSON.stringify([{ type: CREATE, credentialCreationRequest: { certificatePolicy: QCP_N } }]), approved)).toBe(false);
    expect(sameAuthorizationDetails(JSON.stringify([{ type: CREATE, credentialCreationRequest: {} }]), approved)).toBe(false);
    expect(sameAuthorizationDetails(JSON.stringify([{ type: CREATE }]), approved)).toBe(false);
    // A policy sent to the token endpoint for a creation approved without one is another authorization.
    expect(sameAuthorizationDetails(JSON.stringify(approved), [{ type: CREATE, credentialCreationRequest: {} }])).toBe(false);
  });
});
