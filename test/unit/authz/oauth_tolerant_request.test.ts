// Tolerant input at oauth2/authorize and PAR (issue #12 item 3): a raw '+' of standard base64 that form decoding
// turned into a space is read back, for v1 `hash` and v2 `hashes`; authorization_details with explicit nulls (as
// CSC v2.2 clients send) are read as if those members were absent; hashType is accepted in any case and echoed as
// the client spelled it.
import { describe, expect, it } from 'vitest';
import { CredentialRequestError, parseScope, RAR_PARAM, RAR_SCOPE_MARK, sameAuthorizationDetails } from '../../../authz/oauth/credential_request.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';
/** 32 bytes whose standard base64 holds '+' characters. */
const plusy = Buffer.alloc(32, 0xfb);
const std = plusy.toString('base64');
const rar = (d: unknown) => ({ [RAR_PARAM]: JSON.stringify([d]), scope: 'credential', [RAR_SCOPE_MARK]: '1' });

function refusal(params: Record<string, unknown>) {
  try {
    parseScope(params);
  } catch (err) {
    if (err instanceof CredentialRequestError) return { error: err.error, description: err.description };
    throw err;
  }
  throw new Error('accepted');
}

describe('hash values that arrived through form decoding', () => {
  it('v2 hashes and v1 hash: a space stands for the + it was', () => {
    expect(std).toContain('+');
    const spaced = std.replace(/\+/g, ' ');
    const v2 = parseScope({ scope: 'credential', credentialID: 'c1', numSignatures: '1', hashes: spaced, hashAlgorithmOID: SHA256 });
    const v1 = parseScope({ scope: 'credential', credentialID: 'c1', numSignatures: '1', hash: spaced });
    for (const parsed of [v2, v1]) expect(parsed).toMatchObject({ kind: 'credential', request: { documents: [{ hash: new Uint8Array(plusy) }] } });
  });

  it('still refuses what is not base64', () => {
    expect(refusal({ scope: 'credential', credentialID: 'c1', numSignatures: '1', hashes: 'ab\tcd', hashAlgorithmOID: SHA256 })).toEqual({
      error: 'invalid_request',
      description: 'Invalid parameter hashes: comma-separated base64url hash values expected',
    });
  });
});

describe('authorization_details with explicit nulls and hashType (CSC v2.2)', () => {
  const detail = {
    type: 'https://cloudsignatureconsortium.org/2025/credential',
    credentialID: 'c1',
    signatureQualifier: null,
    numSignatures: 1,
    hashAlgorithmOID: SHA256,
    documentDigests: [{ hash: std, label: 'contract.pdf', hashType: 'DTBSR', href: null, checksum: null }],
    locations: null,
  };

  it('reads nulls as absent and echoes hashType in the caller spelling', () => {
    const parsed = parseScope(rar(detail));
    expect(parsed).toMatchObject({ kind: 'credential', request: { credentialID: 'c1', numSignatures: 1 } });
    const echoed = (parsed as { request: { authorizationDetails: unknown[] } }).request.authorizationDetails;
    expect(echoed).toEqual([
      { type: detail.type, credentialID: 'c1', numSignatures: 1, hashAlgorithmOID: SHA256, documentDigests: [{ hash: std, label: 'contract.pdf', hashType: 'DTBSR' }] },
    ]);
    // At the token endpoint the client sends them back as approved: the same, nulls or not.
    expect(sameAuthorizationDetails(JSON.stringify([detail]), echoed as Record<string, unknown>[])).toBe(true);
    expect(sameAuthorizationDetails(JSON.stringify([{ ...detail, documentDigests: [{ ...detail.documentDigests[0], hashType: 'sdr' }] }]), echoed as Record<string, unknown>[])).toBe(false);
  });

  it('a null label is no label', () => {
    const parsed = parseScope(rar({ ...detail, documentDigests: [{ hash: std, label: null }] }));
    expect((parsed as { request: { documents: unknown[] } }).request.documents).toEqual([{ hash: new Uint8Array(plusy) }]);
  });

  it('refuses an unknown hashType and a null credentialID by name', () => {
    expect(refusal(rar({ ...detail, documentDigests: [{ hash: std, hashType: 'dtbs' }] }))).toEqual({
      error: 'invalid_authorization_details',
      description: 'documentDigests[].hashType must be dtbsr, sdr or sodr',
    });
    expect(refusal(rar({ ...detail, credentialID: null }))).toEqual({ error: 'invalid_authorization_details', description: 'credentialID is required' });
  });
});

describe('sameAuthorizationDetails after storage', () => {
  it('ignores key order: approved details come back from a jsonb column with their keys reordered', () => {
    const detail = { type: 'https://cloudsignatureconsortium.org/2025/credential', credentialID: 'c1', numSignatures: 1, hashAlgorithmOID: SHA256, documentDigests: [{ hash: std, label: 'L', hashType: 'dtbsr' }] };
    const approved = (parseScope(rar(detail)) as { request: { authorizationDetails: Record<string, unknown>[] } }).request.authorizationDetails;
    // jsonb orders keys by length, then bytewise.
    const reorder = (o: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.length - b.length || (a < b ? -1 : 1)).map(([k, v]) => [k, Array.isArray(v) ? v.map((x) => reorder(x)) : v]));
    const stored = approved.map(reorder);
    expect(Object.keys(stored[0]!)).not.toEqual(Object.keys(approved[0]!));
    expect(sameAuthorizationDetails(JSON.stringify([detail]), stored)).toBe(true);
    expect(sameAuthorizationDetails(JSON.stringify([{ ...detail, numSignatures: 2, documentDigests: [detail.documentDigests[0], detail.documentDigests[0]] }]), stored)).toBe(false);
  });
});
