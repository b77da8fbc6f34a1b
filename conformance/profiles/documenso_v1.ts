// Profile `documenso-v1`: what Documenso's CSC integration (its first, instance-wide version: documenso/documenso
// pull request 2874, "CSC AES/QES signing") needs of a CSC v2.0 server. The integration is a server-side signing app:
// the signer authorizes at the TSP's OAuth 2.0 authorization server (authorization code flow), the app lists the
// signer's credentials with their certificates, builds the PDF signature (CMS over SHA-256) around the certificate
// chain, and asks signatures/signHash for the raw signature it embeds. Default base /csc/v2.
import { X509Certificate } from 'node:crypto';
import { type Check, fail, failIfAny, skip } from '../check.ts';
import { authGroup } from '../checks/auth.ts';
import { credentialsGroup } from '../checks/credentials.ts';
import { infoGroup, metadataUrl } from '../checks/info.ts';
import { signingGroup } from '../checks/signing.ts';
import { certOf } from '../certificates.ts';
import { base64Problem, isObject, isStringArray } from '../encodings.ts';
import { expectJsonOk } from '../expect_error.ts';
import { describeAnswer } from '../http_client.ts';
import type { Session } from '../session.ts';
import { credentialCasingIssues } from './keys.ts';
import { group, pick, type Profile } from './profile.ts';
import { combinedAlgoFor, signAs } from './sign_check.ts';

const oauth: Check<Session> = {
  id: 'documenso.info.oauth2code',
  title: 'info offers oauth2code and names the authorization server',
  clause: 'CSC v2 §11.1 authType, oauth2, oauth2Issuer; §8.4.2',
  async run(s) {
    const i = s.needInfo();
    const types = isStringArray(i.authType) ? i.authType : [];
    if (!types.includes('oauth2code')) fail(`authType ${JSON.stringify(types)} lacks "oauth2code": Documenso's signers authorize at the TSP's authorization server`);
    if (typeof i.oauth2Issuer !== 'string' && typeof i.oauth2 !== 'string') fail('neither oauth2Issuer nor oauth2 names the authorization server');
    return `oauth2code at ${String(i.oauth2Issuer ?? i.oauth2)}`;
  },
};

const methods: Check<Session> = {
  id: 'documenso.info.methods',
  title: 'methods lists credentials/list, credentials/info and signatures/signHash',
  clause: 'CSC v2 §11.1 methods',
  async run(s) {
    s.needInfo();
    failIfAny(['credentials/list', 'credentials/info', 'signatures/signHash'].filter((m) => !s.offers(m)).map((m) => `${m} is not listed in methods`));
    return 'credentials/list, credentials/info, signatures/signHash listed';
  },
};

const oauthMetadata: Check<Session> = {
  id: 'documenso.oauth.metadata',
  title: 'the authorization server publishes its authorization and token endpoints',
  clause: 'CSC v2 §8.4.2, §8.4.3; RFC 8414 §3',
  async run(s) {
    const i = s.needInfo();
    const url = typeof i.oauth2Issuer === 'string' ? metadataUrl(i.oauth2Issuer) : typeof i.oauth2 === 'string' ? null : skip('OAuth is not offered');
    if (url === null) {
      // §8.4: with only the oauth2 base URI, the endpoints are {oauth2}/oauth2/authorize and {oauth2}/oauth2/token.
      return `endpoints under ${String(i.oauth2)} per CSC v2 §8.4`;
    }
    const a = await s.http.get(url);
    if (a.status !== 200 || !isObject(a.json)) fail(`GET ${url}: ${describeAnswer(a)}`);
    const m = a.json as Record<string, unknown>;
    const issues = ['authorization_endpoint', 'token_endpoint'].filter((k) => typeof m[k] !== 'string').map((k) => `metadata has no ${k}`);
    if (isStringArray(m.grant_types_supported) && !m.grant_types_supported.includes('authorization_code')) issues.push('grant_types_supported lacks authorization_code');
    failIfAny(issues);
    return `${url}: authorization and token endpoints given`;
  },
};

const listWithCertificates: Check<Session> = {
  id: 'documenso.credentials.list_with_certificates',
  title: 'credentials/list with credentialInfo gives each credential with its certificate chain',
  clause: 'CSC v2 §11.4 credentialInfo, certificates',
  async run(s) {
    s.needMethod('credentials/list');
    const body = expectJsonOk(await s.http.post('credentials/list', { json: { credentialInfo: true, certificates: 'chain', certInfo: true, authInfo: true } }, s.bearer()), 'credentials/list');
    const infos = Array.isArray(body.credentialInfos)
      ? (body.credentialInfos as unknown[])
      : fail('credentialInfos missing although credentialInfo was true: the signer cannot be shown a certificate to choose');
    const issues: string[] = [];
    infos.forEach((ci, i) => {
      const certs = isObject(ci) ? certOf(ci)?.certificates : undefined;
      if (!isStringArray(certs) || certs.length === 0) issues.push(`credentialInfos[${i}].cert.certificates is missing`);
      issues.push(...credentialCasingIssues(`credentialInfos[${i}].`, ci));
    });
    failIfAny(issues);
    return `${infos.length} credential(s), each with certificates`;
  },
};

const chainForCms: Check<Session> = {
  id: 'documenso.credentials.chain',
  title: 'the chain is standard base64 DER, end entity first, valid now',
  clause: 'CSC v2 §11.5 cert/certificates, §5.2',
  async run(s) {
    const c = s.needCredential();
    const certs = certOf(c.info)?.certificates;
    if (!isStringArray(certs) || certs.length === 0) fail('cert.certificates is missing with certificates "chain"');
    const issues: string[] = [];
    const parsed: X509Certificate[] = [];
    (certs as string[]).forEach((b64, i) => {
      const problem = base64Problem(b64);
      if (problem) return issues.push(`certificates[${i}] ${problem}`);
      try {
        parsed.push(new X509Certificate(Buffer.from(b64, 'base64')));
      } catch {
        issues.push(`certificates[${i}] is not a DER X.509 certificate`);
      }
    });
    const ee = parsed[0];
    if (ee?.ca) issues.push('certificates[0] is a CA certificate: the end-entity certificate must come first');
    if (ee && parsed[1] && !ee.checkIssued(parsed[1])) issues.push('certificates[1] did not issue certificates[0]');
    if (ee && (Date.parse(ee.validTo) < Date.now() || Date.parse(ee.validFrom) > Date.now())) issues.push('the end-entity certificate is not valid now');
    failIfAny(issues);
    return `${parsed.length} certificate(s), ${ee?.subject.replace(/\n/g, ', ')}`;
  },
};

const sha256Algo: Check<Session> = {
  id: 'documenso.credentials.sha256_algorithm',
  title: 'key.algo offers a combined SHA-256 signature algorithm for the PDF signature',
  clause: 'CSC v2 §11.4 key/algo, §7.6',
  async run(s) {
    const c = s.needCredential();
    const plan = combinedAlgoFor(c.info, 32);
    if (!plan) fail(`key.algo ${JSON.stringify(isObject(c.info.key) ? c.info.key.algo : undefined)} has neither sha256WithRSAEncryption nor ecdsa-with-SHA256`);
    return plan!.signAlgo;
  },
};

const signHash: Check<Session> = {
  id: 'documenso.sign_hash',
  title: 'signHash returns the raw signature as standard base64 that verifies under the certificate',
  clause: 'CSC v2 §11.10, §5.2',
  async run(s) {
    return signAs(s, 'Documenso', (r) => ({ credentialID: r.credentialID, SAD: r.sad, hashes: [r.hash.toString('base64')], hashAlgorithmOID: r.hashOid, signAlgo: r.signAlgo }));
  },
};

export const documensoV1Profile: Profile = {
  title: "Documenso's CSC signing integration (v1, instance-wide configuration) against a CSC v2.0 server",
  specification: 'CSC API v2.0.0.2',
  groups: [
    pick(infoGroup, ['info.available']),
    group('documenso.info', [oauth, methods, oauthMetadata]),
    pick(authGroup, ['auth.login']),
    pick(credentialsGroup, ['credentials.list', 'credentials.info']),
    group('documenso.credentials', [listWithCertificates, chainForCms, sha256Algo]),
    pick(signingGroup, ['signing.authorize']),
    group('documenso.signing', [signHash]),
  ],
};
