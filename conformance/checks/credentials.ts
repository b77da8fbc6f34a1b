// credentials/list and credentials/info (CSC v2 §11.4, §11.5): the facts a signature application builds its
// request from, so each must have the type and encoding the specification gives it.
import type { X509Certificate } from 'node:crypto';
import { certInfoIssues, certOf, chainOrderIssues, parseChain } from '../certificates.ts';
import { type Check, fail, failIfAny, type Group, skip } from '../check.ts';
import { isObject, isStringArray } from '../encodings.ts';
import { expectJsonOk } from '../expect_error.ts';
import { CURVE_OID_BY_NAME, DOTTED_OID, SIGN_ALGO_OIDS } from '../oids.ts';
import type { Session } from '../session.ts';

/** Shape of a credentialInfo object (CSC v2 §11.4) as returned with certificates=chain, certInfo and authInfo. */
export function credentialInfoIssues(ci: Record<string, unknown>): string[] {
  const issues: string[] = [];
  const key = ci.key;
  if (!isObject(key)) issues.push('key is missing');
  else {
    if (key.status !== 'enabled' && key.status !== 'disabled') issues.push(`key.status ${JSON.stringify(key.status)} is not enabled|disabled`);
    if (!isStringArray(key.algo) || key.algo.length === 0) issues.push('key.algo is not a non-empty array of strings');
    else for (const a of key.algo) if (!DOTTED_OID.test(a)) issues.push(`key.algo "${a}" is not a dotted OID`);
    if (typeof key.len !== 'number' || !Number.isInteger(key.len) || key.len <= 0) issues.push(`key.len ${JSON.stringify(key.len)} is not a positive number`);
    if (key.curve !== undefined && (typeof key.curve !== 'string' || !DOTTED_OID.test(key.curve))) issues.push(`key.curve ${JSON.stringify(key.curve)} is not a dotted OID`);
  }
  if (ci.description !== undefined && (typeof ci.description !== 'string' || ci.description.length > 255)) issues.push('description is not a string of at most 255 characters');
  // SCAL is the string "1" or "2", multisign a number: both are commonly sent with the other type.
  if (ci.SCAL !== undefined && ci.SCAL !== '1' && ci.SCAL !== '2') issues.push(`SCAL ${JSON.stringify(ci.SCAL)} is not the string "1" or "2"`);
  if (typeof ci.multisign !== 'number' || !Number.isInteger(ci.multisign) || ci.multisign < 1) issues.push(`multisign ${JSON.stringify(ci.multisign)} is not a number ≥ 1`);
  const auth = ci.auth;
  if (!isObject(auth)) issues.push('auth is missing although authInfo was requested');
  else {
    if (auth.mode !== 'explicit' && auth.mode !== 'oauth2code') issues.push(`auth.mode ${JSON.stringify(auth.mode)} is not explicit|oauth2code`);
    if (auth.mode === 'explicit') {
      if (!Array.isArray(auth.objects) || auth.objects.length === 0) issues.push('auth.objects is missing although auth.mode is explicit');
      else {
        auth.objects.forEach((o, i) => {
          if (!isObject(o) || typeof o.type !== 'string' || typeof o.id !== 'string') issues.push(`auth.objects[${i}] lacks a string type and id`);
        });
      }
    } else if (auth.expression !== undefined) issues.push('auth.expression is present although auth.mode is not explicit');
    if (auth.expression !== undefined && typeof auth.expression !== 'string') issues.push('auth.expression is not a string');
  }
  const cert = certOf(ci);
  if (!cert) issues.push('cert is missing although certificates and certInfo were requested');
  return issues;
}

const list: Check<Session> = {
  id: 'credentials.list',
  title: 'credentials/list returns the signer\'s credentialIDs',
  clause: 'CSC v2 §11.4',
  async run(s) {
    s.needMethod('credentials/list');
    const body = expectJsonOk(await s.http.post('credentials/list', { json: {} }, s.bearer()), 'credentials/list {}');
    if (!isStringArray(body.credentialIDs)) fail('credentialIDs is not an array of strings');
    if (body.credentialInfos !== undefined) fail('credentialInfos returned although credentialInfo was not requested');
    s.credentialIDs = body.credentialIDs as string[];
    const wanted = s.options.credentialID;
    if (wanted && !s.credentialIDs.includes(wanted)) fail(`the credential given (--credential) is not in credentialIDs`);
    return `${s.credentialIDs.length} credential(s)`;
  },
};

const listWithInfo: Check<Session> = {
  id: 'credentials.list_credential_info',
  title: 'credentials/list with credentialInfo returns well-formed credentialInfos',
  clause: 'CSC v2 §11.4 credentialInfo',
  async run(s) {
    s.needMethod('credentials/list');
    const ids = s.credentialIDs ?? skip('credentials/list failed');
    const body = expectJsonOk(
      await s.http.post('credentials/list', { json: { credentialInfo: true, certificates: 'chain', certInfo: true, authInfo: true } }, s.bearer()),
      'credentials/list with credentialInfo',
    );
    if (!Array.isArray(body.credentialInfos)) fail('credentialInfos missing although credentialInfo was true');
    const infos = body.credentialInfos as unknown[];
    const issues: string[] = [];
    if (infos.length !== ids.length) issues.push(`${infos.length} credentialInfos for ${ids.length} credentialIDs`);
    infos.forEach((ci, i) => {
      if (!isObject(ci)) return issues.push(`credentialInfos[${i}] is not an object`);
      if (typeof ci.credentialID !== 'string' || !ids.includes(ci.credentialID)) issues.push(`credentialInfos[${i}].credentialID is not one of credentialIDs`);
      for (const p of credentialInfoIssues(ci)) issues.push(`credentialInfos[${i}]: ${p}`);
      const cert = certOf(ci);
      if (cert) for (const p of parseChain(cert.certificates).issues) issues.push(`credentialInfos[${i}]: ${p}`);
    });
    failIfAny(issues);
    return `${infos.length} credentialInfo object(s) well-formed`;
  },
};

const info: Check<Session> = {
  id: 'credentials.info',
  title: 'credentials/info returns a well-formed credential',
  clause: 'CSC v2 §11.5, §11.4 credentialInfo',
  async run(s) {
    s.needMethod('credentials/info');
    const ids = s.credentialIDs ?? (s.options.credentialID ? [s.options.credentialID] : skip('credentials/list failed and no --credential given'));
    const id = s.options.credentialID ?? ids[0] ?? skip('the signer has no credential');
    const body = expectJsonOk(
      await s.http.post('credentials/info', { json: { credentialID: id, certificates: 'chain', certInfo: true, authInfo: true } }, s.bearer()),
      'credentials/info',
    );
    const { chain } = parseChain(certOf(body)?.certificates);
    s.credential = { id, info: body, chain };
    failIfAny(credentialInfoIssues(body));
    const key = body.key as Record<string, unknown>;
    return `key ${JSON.stringify(key.algo)} ${String(key.len)} bits, SCAL ${String(body.SCAL ?? '(absent: 1)')}, multisign ${String(body.multisign)}`;
  },
};

const certificatesEncoding: Check<Session> = {
  id: 'credentials.info_certificates',
  title: 'cert.certificates are standard base64 DER X.509, end entity first, each issued by the next',
  clause: 'CSC v2 §11.4 cert/certificates, §5.2',
  async run(s) {
    const c = s.needCredential();
    const { chain, issues } = parseChain(certOf(c.info)?.certificates);
    failIfAny([...issues, ...chainOrderIssues(chain)]);
    return `${chain.length} certificate(s), end entity "${chain[0]!.subject.replace(/\n/g, ', ')}"`;
  },
};

const certInfo: Check<Session> = {
  id: 'credentials.info_cert_info',
  title: 'certInfo fields are encoded as specified and agree with the certificate',
  clause: 'CSC v2 §11.4 cert/serialNumber, cert/validFrom, cert/validTo, RFC 5280 §4.1.2.5.2',
  async run(s) {
    const c = s.needCredential();
    const cert = certOf(c.info) ?? fail('cert is missing');
    failIfAny(certInfoIssues(cert, c.chain[0]));
    return `serialNumber ${String(cert.serialNumber)}, ${String(cert.validFrom)} – ${String(cert.validTo)}`;
  },
};

function keyIssues(key: Record<string, unknown>, ee: X509Certificate): string[] {
  const issues: string[] = [];
  const type = ee.publicKey.asymmetricKeyType;
  const details = ee.publicKey.asymmetricKeyDetails ?? {};
  const algos = isStringArray(key.algo) ? key.algo : [];
  const wrongFamily = algos.filter((a) => SIGN_ALGO_OIDS[a] && SIGN_ALGO_OIDS[a].key !== (type === 'ec' ? 'EC' : 'RSA'));
  if (wrongFamily.length) issues.push(`key.algo lists ${wrongFamily.join(', ')}, which do not fit the ${type?.toUpperCase()} key of the certificate`);
  if (!algos.some((a) => SIGN_ALGO_OIDS[a])) issues.push(`key.algo ${JSON.stringify(algos)} names no signature algorithm the kit knows`);
  if (type === 'rsa' || type === 'rsa-pss') {
    if (key.len !== details.modulusLength) issues.push(`key.len ${String(key.len)} but the certificate key has ${String(details.modulusLength)} bits`);
    if (key.curve !== undefined) issues.push('key.curve is given for an RSA key');
  } else if (type === 'ec') {
    const jwk = ee.publicKey.export({ format: 'jwk' });
    const curveOid = CURVE_OID_BY_NAME[jwk.crv ?? ''];
    const bits = { 'P-256': 256, 'P-384': 384, 'P-521': 521 }[jwk.crv ?? ''];
    if (key.curve === undefined) issues.push('key.curve is missing for an EC key');
    else if (key.curve !== curveOid) issues.push(`key.curve ${String(key.curve)} but the certificate key is on ${jwk.crv} (${curveOid})`);
    if (key.len !== bits) issues.push(`key.len ${String(key.len)} but the certificate key is on ${jwk.crv} (${bits} bits)`);
  } else issues.push(`the certificate key type ${type} is not one the kit checks`);
  return issues;
}

const keyMatchesCert: Check<Session> = {
  id: 'credentials.info_key',
  title: 'key.algo, key.len and key.curve describe the certificate\'s key',
  clause: 'CSC v2 §11.4 key/algo, key/len, key/curve, §7.6',
  async run(s) {
    const c = s.needCredential();
    const ee = c.chain[0] ?? skip('no parsable end-entity certificate');
    failIfAny(keyIssues(c.info.key as Record<string, unknown>, ee));
    return `${ee.publicKey.asymmetricKeyType} key consistent with ${JSON.stringify((c.info.key as Record<string, unknown>).algo)}`;
  },
};

const algosOffered: Check<Session> = {
  id: 'credentials.info_algos_in_info',
  title: 'the credential\'s key.algo are among the signAlgorithms that info announces',
  clause: 'CSC v2 §11.1 signAlgorithms, §11.4 key/algo',
  async run(s) {
    const c = s.needCredential();
    const sa = s.needInfo().signAlgorithms;
    const announced = isObject(sa) && isStringArray(sa.algos) ? sa.algos : skip('info.signAlgorithms.algos could not be read');
    const algos = isObject(c.info.key) && isStringArray(c.info.key.algo) ? c.info.key.algo : skip('key.algo could not be read');
    failIfAny(algos.filter((a) => !announced.includes(a)).map((a) => `key.algo "${a}" is not in info.signAlgorithms.algos`));
    return `${algos.length} algorithm(s), all announced`;
  },
};

const certificatesSingleNone: Check<Session> = {
  id: 'credentials.info_certificates_single_none',
  title: 'certificates "single" returns the end entity only, "none" no certificate',
  clause: 'CSC v2 §11.4 certificates (input), cert/certificates',
  async run(s) {
    const c = s.needCredential();
    const single = expectJsonOk(await s.http.post('credentials/info', { json: { credentialID: c.id, certificates: 'single' } }, s.bearer()), 'certificates "single"');
    const none = expectJsonOk(await s.http.post('credentials/info', { json: { credentialID: c.id, certificates: 'none' } }, s.bearer()), 'certificates "none"');
    const issues: string[] = [];
    const certs = certOf(single)?.certificates;
    if (!Array.isArray(certs) || certs.length !== 1) issues.push(`"single" returned ${Array.isArray(certs) ? certs.length : 'no'} certificates`);
    else if (c.chain[0] && Buffer.from(String(certs[0]), 'base64').compare(c.chain[0].raw) !== 0) issues.push('"single" returned another certificate than the first of "chain"');
    if (certOf(none)?.certificates !== undefined) issues.push('"none" returned cert.certificates');
    failIfAny(issues);
    return 'single: 1 certificate; none: no certificates';
  },
};

export const credentialsGroup: Group<Session> = {
  name: 'credentials',
  checks: () => [list, listWithInfo, info, certificatesEncoding, certInfo, keyMatchesCert, algosOffered, certificatesSingleNone],
};
