// The shape every AdES format of signatures/signDoc (CSC v2 §11.11) is built to. A format turns one document (or,
// with documentDigests, one digest of it) into the bytes to be signed (the DTBS/R), and, once the SAM has signed
// their hash, into the signed document or the detached signature. The formats know nothing of HTTP, OAuth or the
// SAM: the signDoc action gathers the signer's certificates, asks the SAM for the signature value and, for B-T
// levels, for a timestamp, and calls the format twice.
//
//   const prepared = await FORMATS[format].prepare(input);      // DTBS/R and the hash the SAM signs
//   const value = await sam.signHash(... prepared.dtbsrHash ...);
//   const out = await prepared.finish(value, { timestamp });     // DocumentWithSignature or SignatureObject

/** §11.11 signature_format. */
export type SignatureFormatCode = 'P' | 'C' | 'J' | 'X';

/** §11.11 conformance_level, as this service spells it on the wire (the spec writes both "Ades-B-B" and
 *  "AdES-B-B"; the action accepts either and hands the format the canonical form below). */
export type ConformanceLevel = 'AdES-B-B' | 'AdES-B-T' | 'AdES-B-LT';

/** The signer as the format needs it: the end-entity certificate first, then its chain (DER), and the algorithm
 *  the SAM will sign with. `hashAlgorithmOID` is the digest the DTBS/R is hashed with; `signAlgo` the CSC signAlgo
 *  OID (for example 1.2.840.10045.4.3.2 ecdsa-with-SHA256, 1.2.840.113549.1.1.11 sha256WithRSAEncryption,
 *  1.2.840.113549.1.1.10 RSASSA-PSS with `signAlgoParams`). */
export type Signer = {
  certificates: Uint8Array[];
  signAlgo: string;
  signAlgoParams?: Uint8Array;
  hashAlgorithmOID: string;
};

/** One signed attribute of §11.11 signed_props: a name and its value as the client sent them. */
export type SignedProperty = { attribute: string; value: string };

export type FormatInput = {
  /** The whole document (signDoc `documents`), or undefined when only its digest is known (`documentDigests`). */
  document?: Uint8Array;
  /** The digest of the document under `signer.hashAlgorithmOID` (always present: computed from `document` when the
   *  client sent the document; the hash the client sent otherwise). The SAD binds this digest. */
  documentDigest: Uint8Array;
  /** §11.11 signed_envelope_property, already checked against the format's `envelopes`. */
  envelope: string;
  level: ConformanceLevel;
  signer: Signer;
  signedProps: SignedProperty[];
  /** The signing time the signature claims (one clock reading per request). */
  signingTime: Date;
};

/** What `finish` may ask of the service: an RFC 3161 TimeStampToken (DER ContentInfo) over `hash`, and, for
 *  AdES-B-LT, the DER CRL of the CA that issued the signer's and the TSA's certificates. */
export type FinishServices = {
  timestamp(hash: Uint8Array, hashAlgorithmOID: string): Promise<Uint8Array>;
  crl(): Promise<Uint8Array>;
};

export type FormatOutput =
  /** The document with the signature inside (PAdES; CAdES attached; JAdES attached; XAdES enveloped/enveloping). */
  | { kind: 'DocumentWithSignature'; bytes: Uint8Array }
  /** A signature beside the document (CAdES detached; JAdES detached; XAdES detached; any format with digests). */
  | { kind: 'SignatureObject'; bytes: Uint8Array };

export type PreparedSignature = {
  /** The DTBS/R: the exact bytes whose hash the key signs (CMS signed attributes, XML SignedInfo after
   *  canonicalisation, JWS signing input). Kept for the audit row and the tests. */
  dtbsr: Uint8Array;
  /** hash(dtbsr) under signer.hashAlgorithmOID: what the SAM signs. */
  dtbsrHash: Uint8Array;
  /** True when `dtbsr` is the DER of CMS signed attributes whose messageDigest is `documentDigest` (CAdES, PAdES from a
   *  digest): the SAM then checks that binding itself instead of trusting the service (docs/architecture.md). */
  bindsDocumentDigest?: boolean;
  /** Builds the output from the SAM's signature value, as signHash returns it (DER Ecdsa-Sig-Value for ECDSA,
   *  PKCS#1 bytes for RSA; formats that need r||s convert with core/ecdsa_der.ts). */
  finish(signatureValue: Uint8Array, services: FinishServices): Promise<FormatOutput>;
};

/** Thrown by a format when the document itself is unusable (malformed PDF or XML, a JSON payload that is not what
 *  the envelope needs): the action answers 400 invalid_request with this message. */
export class DocumentFormatError extends Error {
  override name = 'DocumentFormatError';
}

export type SignatureFormat = {
  code: SignatureFormatCode;
  /** §11.11 signed_envelope_property values this format offers; the first is the default. */
  envelopes: readonly string[];
  levels: readonly ConformanceLevel[];
  /** Whether the format can sign from a digest alone (documentDigests), and with which envelopes. */
  digestEnvelopes: readonly string[];
  /** §11.11 signed_props attribute names the format accepts; absent: none (any is refused). */
  signedProps?: readonly string[];
  prepare(input: FormatInput): Promise<PreparedSignature>;
};
