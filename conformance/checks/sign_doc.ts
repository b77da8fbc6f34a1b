// signatures/signDoc (CSC v2 §11.11) from outside: a detached CAdES baseline B signature of a digest the SAD covers,
// whose SignerInfo carries that digest as messageDigest and whose signature over the signed attributes verifies
// under the credential's certificate. Uses the digest credentials/authorize reserved for it (signing.authorize).
import { constants, verify } from 'node:crypto';
import { type Check, fail, skip } from '../check.ts';
import { firstSigner } from '../cms.ts';
import { base64Problem, isObject, isStringArray } from '../encodings.ts';
import { expectJsonOk } from '../expect_error.ts';
import { pssParamsDer } from '../der.ts';
import { HASH_BY_OID, SHA256_OID, SIGN_ALGO_OIDS } from '../oids.ts';
import type { Session } from '../session.ts';

const PSS = '1.2.840.113549.1.1.10';

export const signDocCades: Check<Session> = {
  id: 'signing.sign_doc_cades',
  title: 'signDoc returns a detached CAdES signature of an authorized digest that verifies under the certificate',
  clause: 'CSC v2 §11.11; RFC 5652 §5.4 (signed attributes), §11.2 (messageDigest)',
  async run(s) {
    s.needMethod('signatures/signDoc');
    const c = s.needCredential();
    const a = s.authorization ?? skip('credentials/authorize did not yield a SAD');
    const docHash = a.docHash ?? skip('no digest was reserved for signDoc (multisign below 3)');
    const formats = isObject(s.info!.signature_formats) && isStringArray(s.info!.signature_formats.formats) ? s.info!.signature_formats.formats : [];
    if (!formats.includes('C')) skip(`info.signature_formats.formats ${JSON.stringify(formats)} does not offer CAdES ("C")`);
    const algos = isObject(c.info.key) && isStringArray(c.info.key.algo) ? c.info.key.algo : [];
    // A combined OID (it fixes the hash), else RSASSA-PSS over SHA-256 with the usual parameters.
    const signAlgo = algos.find((x) => SIGN_ALGO_OIDS[x]?.hash) ?? (algos.includes(PSS) ? PSS : skip('key.algo offers no combined algorithm and no RSASSA-PSS'));
    const pss = signAlgo === PSS;
    const hashOid = SIGN_ALGO_OIDS[signAlgo]!.hash ?? SHA256_OID;
    const saltLength = HASH_BY_OID[hashOid]!.length;
    if (HASH_BY_OID[hashOid]!.length !== docHash.length) skip('the reserved digest is not of the algorithm\'s hash');
    const body = expectJsonOk(
      await s.http.post(
        'signatures/signDoc',
        {
          json: {
            credentialID: c.id,
            SAD: a.sad,
            documentDigests: [{
              hashes: [docHash.toString('base64')], hashAlgorithmOID: hashOid, signature_format: 'C', conformance_level: 'Ades-B-B',
              signed_envelope_property: 'Detached', signAlgo,
              ...(pss ? { signAlgoParams: Buffer.from(pssParamsDer(hashOid, saltLength)).toString('base64') } : {}),
            }],
          },
        },
        s.bearer(),
      ),
      'signatures/signDoc',
    );
    a.used += 1;
    const objects = body.SignatureObject;
    if (!Array.isArray(objects) || objects.length !== 1) fail(`SignatureObject is not an array of one: ${JSON.stringify(objects)?.slice(0, 80)}`);
    const problem = base64Problem((objects as unknown[])[0]);
    if (problem) fail(`SignatureObject[0] ${problem}`);
    const signer = firstSigner(Buffer.from((objects as string[])[0]!, 'base64'));
    if (typeof signer === 'string') fail(`SignatureObject[0]: ${signer}`);
    const cms = signer as Exclude<typeof signer, string>;
    if (cms.attached) fail('a Detached signature encapsulates content');
    if (!cms.messageDigest.equals(docHash)) fail('messageDigest is not the digest that was sent');
    const key = pss ? { key: c.chain[0]!.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength } : c.chain[0]!.publicKey;
    if (!verify(HASH_BY_OID[hashOid]!.node, cms.signedAttrs, key, cms.signature)) fail('the signature over the signed attributes does not verify under the certificate');
    return `CAdES B-B detached, ${SIGN_ALGO_OIDS[signAlgo]!.label}: messageDigest is the authorized digest, signature verified`;
  },
};
