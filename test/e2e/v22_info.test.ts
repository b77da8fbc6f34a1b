// CSC v2.2 info, field by field, against what the running service does (issue #12 item 1): each announced method is
// served at /csc/v2.2 and each method left out answers 501; the OAuth issuer is the one whose RFC 8414 metadata the
// service publishes, with the RAR types supportsRar promises; no signDoc format is announced while signDoc is 501;
// /csc/v2 keeps answering as v2.0.0.2; the v2.2 OpenAPI document is served.
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csc, type Server, startServer } from './harness.ts';
import { csc22 } from './v22_client.ts';

let server: Server;

beforeAll(async () => {
  server = await startServer();
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

const CSC_METHODS = [
  'auth/login', 'auth/revoke', 'credentials/list', 'credentials/info', 'credentials/authorize', 'credentials/authorizeCheck',
  'credentials/getChallenge', 'credentials/sendOTP', 'credentials/extendTransaction', 'credentials/create', 'credentials/delete',
  'signatures/signHash', 'signatures/signDoc', 'signatures/signPolling', 'signatures/timestamp',
];

async function post(path: string): Promise<number> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  await res.arrayBuffer();
  return res.status;
}

describe('/csc/v2.2/info', () => {
  it('answers specs 2.2.0.0 and every v2.2 field true to the service', async () => {
    const v22 = await csc22(server, 'info', {});
    const v20 = await csc(server, 'info', {});
    expect(v22.status).toBe(200);
    const info = v22.body;
    expect(info.specs).toBe('2.2.0.0');
    // The descriptive fields and the algorithms are the service's, whichever version is asked.
    for (const field of ['name', 'logo', 'region', 'lang', 'description', 'authType', 'signAlgorithms'] as const) {
      expect(info[field], field).toEqual(v20.body[field]);
    }
    // Exactly one pointer to the authorization server, and it is the issuer of the metadata the service publishes.
    expect(info.oauth2).toBeUndefined();
    const metadata = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, any>;
    expect(info.oauth2Issuer).toBe(metadata.issuer);
    // supportsRar: the authorization server takes authorization_details of the credential type (both names).
    expect(info.supportsRar).toBe(true);
    // FAPI 2.0 (private_key_jwt + DPoP) is offered wherever OAuth is (test/e2e/fapi.test.ts runs it).
    expect(info.oauth2FAPIsupport).toBe(true);
    expect(metadata.authorization_details_types_supported).toEqual([
      'credential', 'https://cloudsignatureconsortium.org/2025/credential',
      'credential_creation', 'https://cloudsignatureconsortium.org/2025/credential-creation',
      'credential_deletion', 'https://cloudsignatureconsortium.org/2025/credential-deletion',
    ]);
    expect(info.supportedHashTypes).toEqual(['dtbsr']);

    // methods: each one is served here, each CSC method left out answers 501 Not Implemented.
    expect(info.methods).toEqual(expect.arrayContaining(['info', 'credentials/create', 'credentials/delete', 'signatures/signHash']));
    for (const m of CSC_METHODS) {
      const status = await post(`/csc/v2.2/${m}`);
      if (info.methods.includes(m)) expect([m, status]).not.toEqual([m, 501]);
      else expect([m, status]).toEqual([m, 501]);
      expect([m, status]).not.toEqual([m, 404]);
    }
    // Asynchronous mode is signPolling; signDoc formats, levels and validationInfo only with signDoc.
    expect(info.asynchronousOperationMode).toBe(info.methods.includes('signatures/signPolling'));
    const signDoc = info.methods.includes('signatures/signDoc');
    expect(info.signature_formats.formats.length > 0).toBe(signDoc);
    expect(info.conformance_levels.length > 0).toBe(signDoc);
    expect(info.validationInfo).toBe(signDoc);
    expect(Object.keys(info).sort()).toEqual(
      ['asynchronousOperationMode', 'authType', 'conformance_levels', 'description', 'lang', 'logo', 'methods', 'name', 'oauth2Issuer', 'region',
        'oauth2FAPIsupport', 'signAlgorithms', 'signature_formats', 'specs', 'supportedHashTypes', 'supportsRar', 'validationInfo'].sort(),
    );
  });

  it('/csc/v2 still answers as v2.0.0.2, without the v2.2 methods', async () => {
    const v20 = await csc(server, 'info', {});
    expect(v20.body.specs).toBe('2.0.0.2');
    expect(v20.body.oauth2).toBe(`${v20.body.oauth2Issuer}/`);
    expect(v20.body.methods).not.toContain('credentials/create');
    expect(v20.body.supportsRar).toBeUndefined();
    expect(v20.body.oauth2FAPIsupport).toBeUndefined();
    expect(await post('/csc/v2/credentials/create')).toBe(404);
    expect(await post('/csc/v2/credentials/delete')).toBe(404);
  });

  it('serves its own OpenAPI document', async () => {
    const res = await fetch(`${server.url}/csc/v2.2/openapi.yaml`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/yaml/);
    const doc = parse(await res.text());
    expect(doc.info.version).toBe('2.2.0.0');
    expect(doc.servers[0].url).toBe('/csc/v2.2');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/credentials/create', '/credentials/delete', '/info']));
  });
});
