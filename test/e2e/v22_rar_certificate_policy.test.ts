// CSC v2.2 credentialCreationRequest.certificatePolicy with CA_CERTIFICATE_POLICIES set: a creation that names a
// policy the CA issues under is approved with it, the token endpoint echoes it, and the credential created with that
// token has a certificate whose certificatePolicies extension (RFC 5280 §4.2.1.4) holds exactly that OID. Any other
// policy is still refused at the authorization; a service token's credentials/create asks for none. (Without the
// key every policy is refused: v22_rar_management.test.ts.)
import { randomUUID } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, CertificatePolicies, id_ce_certificatePolicies } from '@peculiar/asn1-x509';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Server } from './harness.ts';
import { Agent, authorize, authorizeUrl, par, pkce, REDIRECT, sql, token, type Signer } from './oauth_harness.ts';
import { csc22, startWalletServer } from './v22_client.ts';

vi.setConfig({ testTimeout: 75_000 });

const CREATION_URI = 'https://cloudsignatureconsortium.org/2025/credential-creation';
/** ETSI EN 319 411-2: QCP-n-qscd, as the EUDI rQES client asks, and QCP-n, also offered here. */
const QCP_N_QSCD = '0.4.0.194112.1.2';
const QCP_N = '0.4.0.194112.1.0';
/** QCP-l, not offered. */
const QCP_L = '0.4.0.194112.1.1';

let server: Server;
let client: { id: string; secret: string };
let signer: Signer;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ server, client, signer, stop } = await startWalletServer('Wallet', { CA_CERTIFICATE_POLICIES: `${QCP_N_QSCD},${QCP_N}` }));
}, 120_000);

afterAll(async () => stop?.());

/** The policy OIDs of the certificatePolicies extension of a base64 DER certificate; null without the extension. */
function policiesOf(b64: string): { critical: boolean; policies: string[] } | null {
  const cert = AsnConvert.parse(Buffer.from(b64, 'base64'), Certificate);
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_certificatePolicies);
  if (!ext) return null;
  return { critical: ext.critical, policies: AsnConvert.parse(ext.extnValue.buffer, CertificatePolicies).map((p) => p.policyIdentifier) };
}

/** Sign-in and confirmation page for `details`; the code and its verifier. */
async function approve(details: unknown[]): Promise<{ code: string; verifier: string }> {
  const p = pkce();
  const out = await authorize(new Agent(server), signer, authorizeUrl(server, {
    response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256',
    state: randomUUID(), authorization_details: JSON.stringify(details),
  }));
  if (out.kind !== 'callback') throw new Error(`no callback: ${out.kind === 'page' ? out.html.slice(0, 400) : ''}`);
  expect(out.params.get('error'), out.params.get('error_description') ?? '').toBeNull();
  return { code: out.params.get('code')!, verifier: p.verifier };
}

const redeem = (a: { code: string; verifier: string }, details: unknown[]) =>
  token(server, client, {
    grant_type: 'authorization_code', code: a.code, redirect_uri: REDIRECT, code_verifier: a.verifier, authorization_details: JSON.stringify(details),
  });

describe('RAR credential_creation with a certificate policy the CA issues under', () => {
  it('echoes the approved policy and issues the certificate under exactly that policy', async () => {
    const details = [{ type: CREATION_URI, credentialCreationRequest: { certificatePolicy: QCP_N_QSCD } }];
    const approved = await approve(details);
    // The token endpoint wants the policy approved (CSC v2 §8.4.4): another offered one, or none, is another request.
    for (const other of [
      [{ type: CREATION_URI, credentialCreationRequest: { certificatePolicy: QCP_N } }],
      [{ type: CREATION_URI, credentialCreationRequest: {} }],
    ]) {
      const t = await redeem(approved, other);
      expect([t.status, t.body]).toEqual([400, { error: 'invalid_authorization_details', error_description: 'authorization_details differ from those authorized' }]);
    }
    const t = await redeem(approved, [{ type: 'credential_creation', credentialCreationRequest: { certificatePolicy: QCP_N_QSCD, subjectData: null } }]);
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    expect(t.body.authorization_details).toEqual(details);

    const created = await csc22(server, 'credentials/create', { signAlgo: 'ES256', PIN: '135792', oneTime: true }, { bearer: t.body.access_token });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const [leaf, root] = created.body.cert.certificates as string[];
    expect(policiesOf(leaf!)).toEqual({ critical: false, policies: [QCP_N_QSCD] });
    expect(policiesOf(root!)).toBeNull();
    // The SAM's audit row of the creation names the policy.
    const rows = await sql<{ policy: string | null }>(
      `SELECT detail::jsonb->>'certificatePolicy' AS policy FROM sam.audit WHERE credential_id = $1 AND event = 'credential.create' AND result = 'ok'`,
      [created.body.credentialID],
    );
    expect(rows).toEqual([{ policy: QCP_N_QSCD }]);
  });

  it('refuses a policy the CA does not issue under, naming those it does', async () => {
    const p = pkce();
    const r = await par(server, client, {
      response_type: 'code', client_id: client.id, redirect_uri: REDIRECT, code_challenge: p.challenge, code_challenge_method: 'S256',
      authorization_details: JSON.stringify([{ type: CREATION_URI, credentialCreationRequest: { certificatePolicy: QCP_L } }]),
    });
    expect([r.status, r.body]).toEqual([400, {
      error: 'invalid_authorization_details',
      error_description: `certificate policy ${QCP_L} is not offered: the certificates of this service are issued under ${QCP_N_QSCD}, ${QCP_N} only`,
    }]);
  });

  it('issues under no policy for a creation that names none, and for a service token', async () => {
    const details = [{ type: 'credential_creation' }];
    const t = await redeem(await approve(details), details);
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    const viaRar = await csc22(server, 'credentials/create', { signAlgo: 'ES256', PIN: '135792', oneTime: true }, { bearer: t.body.access_token });
    expect(viaRar.status, JSON.stringify(viaRar.body)).toBe(200);
    expect(policiesOf(viaRar.body.cert.certificates[0])).toBeNull();

    const login = await csc22(server, 'auth/login', {}, { basic: [signer.username, signer.password] });
    expect(login.status).toBe(200);
    const viaService = await csc22(server, 'credentials/create', { signAlgo: 'ES256', PIN: '135792', oneTime: true }, { bearer: login.body.access_token });
    expect(viaService.status, JSON.stringify(viaService.body)).toBe(200);
    expect(policiesOf(viaService.body.cert.certificates[0])).toBeNull();
  });
});
