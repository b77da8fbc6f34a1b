// XAdES baseline signatures (ETSI EN 319 132-1 v1.2.1, baseline profile ETSI EN 319 132-2 / TS 103 171) for
// CSC v2 §11.11 signature_format "X". One ds:Signature with:
//   - a Reference to the signed data: the whole document minus the signature (Enveloped: URI="" with the
//     enveloped-signature transform), a ds:Object holding the document (Enveloping), or the external document by
//     its digest (Detached, the only envelope when the client sent only documentDigests);
//   - a Reference of Type http://uri.etsi.org/01903#SignedProperties to the qualifying properties: SigningTime,
//     SigningCertificateV2 (digest of the signer certificate and IssuerSerialV2) and the DataObjectFormat of the
//     signed data (EN 319 132-1 §5.2.1, §5.2.2, §5.2.4);
//   - at AdES-B-T, a SignatureTimeStamp over the canonicalised ds:SignatureValue (EN 319 132-1 §5.3);
//   - at AdES-B-LT, also CertificateValues and RevocationValues (EN 319 132-1 §5.5.1, §5.5.2): the signer's chain,
//     the TSA's certificate and the CA's CRL, after the time-stamp in UnsignedSignatureProperties.
// Every digest and the DTBS/R are over Exclusive C14N 1.0 (xml_dom.ts), never over hand-built strings.
import { createHash, randomBytes } from 'node:crypto';
import { HASH_OID } from '../../../core/algorithms.ts';
import { toBase64 } from '../../../core/base64.ts';
import { DocumentFormatError, type FormatInput, type PreparedSignature, type SignatureFormat } from '../format.ts';
import { timestamped } from './cms_signer.ts';
import { issuerSerialDer } from './issuer_serial.ts';
import { validationDataOf } from './validation_data.ts';
import { signerAlgorithm, XML_DIGEST_URI, type SignerAlgorithm } from './signer_algorithm.ts';
import { builder, canonicalize, declare, ENVELOPED_TRANSFORM, EXC_C14N, parseXml, serialize, signatureDocument, type XElement } from './xml_dom.ts';

export const XADES_SIGNED_PROPERTIES_TYPE = 'http://uri.etsi.org/01903#SignedProperties';
/** The URI a detached signature names its document by; a verifier maps it to the file it holds. */
export const XADES_DETACHED_URI = 'document';

const ENVELOPES = ['Enveloped', 'Enveloping', 'Detached'] as const;
type Envelope = (typeof ENVELOPES)[number];

export const xades: SignatureFormat = {
  code: 'X',
  envelopes: ENVELOPES,
  levels: ['AdES-B-B', 'AdES-B-T', 'AdES-B-LT'],
  digestEnvelopes: ['Detached'],
  prepare: async (input) => prepareXades(input),
};

function prepareXades(input: FormatInput): PreparedSignature {
  const envelope = input.envelope as Envelope;
  if (!ENVELOPES.includes(envelope)) throw new DocumentFormatError(`XAdES has no envelope ${input.envelope}`);
  if (!input.document && envelope !== 'Detached') {
    throw new DocumentFormatError(`a ${envelope} XAdES signature needs the document itself, not its digest`);
  }
  const alg = signerAlgorithm(input.signer);
  const hashLength = createHash(alg.nodeHash).digest().length;
  if (input.documentDigest.length !== hashLength) throw new DocumentFormatError('the document digest has the wrong length');
  const cert = input.signer.certificates[0]!;
  const id = randomBytes(8).toString('hex');
  const ids = { sig: `sig-${id}`, ref: `ref-${id}`, props: `xades-${id}`, value: `value-${id}`, obj: `obj-${id}`, ts: `ts-${id}` };

  const host = envelope === 'Enveloped' ? parseXml(input.document!) : signatureDocument();
  const el = builder(host);
  const digest = (data: Uint8Array) => toBase64(createHash(alg.nodeHash).update(data).digest());
  const digestMethod = () => el('ds:DigestMethod', { Algorithm: XML_DIGEST_URI[alg.hash] });
  const transforms = (...uris: string[]) => el('ds:Transforms', {}, uris.map((u) => el('ds:Transform', { Algorithm: u })));

  // The Signature element: the document element of its own document, or appended to the document's root.
  const signature = envelope === 'Enveloped' ? el('ds:Signature') : host.documentElement;
  declare(signature, 'ds');
  signature.setAttribute('Id', ids.sig);

  // The signed data object and its Reference.
  let docObject: XElement | undefined;
  let docRef: XElement;
  if (envelope === 'Enveloped') {
    // The digest of the document before the signature is inserted is the digest of the document after the
    // enveloped-signature transform removes it (XMLDSig §6.6.4).
    const value = digest(canonicalize(host.documentElement));
    docRef = el('ds:Reference', { Id: ids.ref, URI: '' }, [transforms(ENVELOPED_TRANSFORM, EXC_C14N), digestMethod(), el('ds:DigestValue', {}, [value])]);
  } else if (envelope === 'Enveloping') {
    const content = parseXml(input.document!).documentElement;
    docObject = el('ds:Object', { Id: ids.obj }, [host.importNode(content, true) as XElement]);
    docRef = el('ds:Reference', { Id: ids.ref, URI: `#${ids.obj}` }, [transforms(EXC_C14N), digestMethod()]);
  } else {
    docRef = el('ds:Reference', { Id: ids.ref, URI: XADES_DETACHED_URI }, [digestMethod(), el('ds:DigestValue', {}, [toBase64(input.documentDigest)])]);
  }

  const signedProps = el('xades:SignedProperties', { Id: ids.props }, [
    el('xades:SignedSignatureProperties', {}, [
      el('xades:SigningTime', {}, [xsdDateTime(input.signingTime)]),
      el('xades:SigningCertificateV2', {}, [
        el('xades:Cert', {}, [
          el('xades:CertDigest', {}, [digestMethod(), el('ds:DigestValue', {}, [digest(cert)])]),
          el('xades:IssuerSerialV2', {}, [toBase64(issuerSerialDer(cert))]),
        ]),
      ]),
    ]),
    el('xades:SignedDataObjectProperties', {}, [
      el('xades:DataObjectFormat', { ObjectReference: `#${ids.ref}` }, [
        el('xades:MimeType', {}, [envelope === 'Detached' ? 'application/octet-stream' : 'text/xml']),
      ]),
    ]),
  ]);
  const qualifying = el('xades:QualifyingProperties', { Target: `#${ids.sig}` }, [signedProps]);
  declare(qualifying, 'xades');
  const propsRef = el('ds:Reference', { Type: XADES_SIGNED_PROPERTIES_TYPE, URI: `#${ids.props}` }, [transforms(EXC_C14N), digestMethod()]);

  const signedInfo = el('ds:SignedInfo', {}, [
    el('ds:CanonicalizationMethod', { Algorithm: EXC_C14N }),
    el('ds:SignatureMethod', { Algorithm: alg.xmlSignatureUri }),
    docRef,
    propsRef,
  ]);
  const signatureValue = el('ds:SignatureValue', { Id: ids.value });
  const keyInfo = el('ds:KeyInfo', {}, [
    el('ds:X509Data', {}, input.signer.certificates.map((c) => el('ds:X509Certificate', {}, [toBase64(c)]))),
  ]);
  for (const part of [signedInfo, signatureValue, keyInfo, el('ds:Object', {}, [qualifying]), ...(docObject ? [docObject] : [])]) {
    signature.appendChild(part);
  }
  if (envelope === 'Enveloped') host.documentElement.appendChild(signature);

  // Digests over the elements in place (Exclusive C14N depends only on each subtree).
  if (docObject) docRef.appendChild(el('ds:DigestValue', {}, [digest(canonicalize(docObject))]));
  propsRef.appendChild(el('ds:DigestValue', {}, [digest(canonicalize(signedProps))]));

  const dtbsr = canonicalize(signedInfo);
  return {
    dtbsr: new Uint8Array(dtbsr),
    dtbsrHash: new Uint8Array(createHash(alg.nodeHash).update(dtbsr).digest()),
    finish: async (value, services) => {
      signatureValue.appendChild(host.createTextNode(toBase64(alg.toRaw(value))));
      if (timestamped(input.level)) {
        const stamp = await signatureTimestamp(el, alg, signatureValue, ids.ts, services.timestamp);
        if (input.level === 'AdES-B-LT') {
          const data = await validationDataOf(input.signer, [stamp.token], services);
          stamp.properties.appendChild(el('xades:CertificateValues', {}, data.certificates.map((c) => el('xades:EncapsulatedX509Certificate', {}, [toBase64(c)]))));
          stamp.properties.appendChild(
            el('xades:RevocationValues', {}, [el('xades:CRLValues', {}, data.crls.map((c) => el('xades:EncapsulatedCRLValue', {}, [toBase64(c)])))]),
          );
        }
        qualifying.appendChild(stamp.unsigned);
      }
      const bytes = serialize(host);
      return envelope === 'Detached' ? { kind: 'SignatureObject', bytes } : { kind: 'DocumentWithSignature', bytes };
    },
  };
}

/** EN 319 132-1 §5.3: the time-stamp token's imprint is over the canonicalised ds:SignatureValue element. */
async function signatureTimestamp(
  el: ReturnType<typeof builder>,
  alg: SignerAlgorithm,
  signatureValue: XElement,
  id: string,
  timestamp: (hash: Uint8Array, hashAlgorithmOID: string) => Promise<Uint8Array>,
): Promise<{ unsigned: XElement; properties: XElement; token: Uint8Array }> {
  const imprint = createHash(alg.nodeHash).update(canonicalize(signatureValue)).digest();
  const token = await timestamp(new Uint8Array(imprint), HASH_OID[alg.hash]);
  const properties = el('xades:UnsignedSignatureProperties', {}, [
    el('xades:SignatureTimeStamp', { Id: id }, [
      el('ds:CanonicalizationMethod', { Algorithm: EXC_C14N }),
      el('xades:EncapsulatedTimeStamp', {}, [toBase64(token)]),
    ]),
  ]);
  return { unsigned: el('xades:UnsignedProperties', {}, [properties]), properties, token };
}

/** xsd:dateTime in UTC without fractions, as XAdES SigningTime is usually written. */
function xsdDateTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
