// The entries of a signatures/signDoc request (CSC v2 §11.11 documents / documentDigests) as the signatures to make:
// one SignDocItem per document, or per hash of a documentDigests entry, in request order. Every refusal has the
// wording of the §11.11 error table. No HTTP here: the action calls this on the validated body.
import { createHash } from 'node:crypto';
import { HASH_OID, HASHES, SIGN_ALGOS } from '../../core/algorithms.ts';
import { decodeBase64 } from '../../core/base64.ts';
import { CscError } from '../../core/errors.ts';
import { type HashAlg, pssParams } from '../../client/cms/signed_data.ts';
import type { ConformanceLevel, SignatureFormat, SignedProperty } from './format.ts';
import { formatOf } from './formats.ts';

export type SignDocItem = {
  format: SignatureFormat;
  level: ConformanceLevel;
  envelope: string;
  signAlgo: string;
  signAlgoParams?: Uint8Array;
  /** The hash of the SAD's document digest and of the DTBS/R. */
  hashAlgorithmOID: string;
  signedProps: SignedProperty[];
  document?: Uint8Array;
  documentDigest: Uint8Array;
};

/** One request signs at most this many documents or digests: the largest multisign a credential can have. */
export const MAX_SIGNATURES = 1000;

const SHA256 = HASH_OID['SHA-256'];

export function signDocItems(body: { documents?: unknown; documentDigests?: unknown }, opts: { maxDocumentBytes: number }): SignDocItem[] {
  const { documents, documentDigests } = body;
  if (documents !== undefined && documentDigests !== undefined) throw new CscError('bothDocumentsAndDigests');
  let items: SignDocItem[];
  if (documents !== undefined) {
    if (!Array.isArray(documents)) throw new CscError('documentsInvalid');
    items = documents.map((entry, i) => documentItem(entry, i, opts.maxDocumentBytes));
  } else if (documentDigests !== undefined) {
    if (!Array.isArray(documentDigests)) throw new CscError('documentDigestsInvalid');
    items = documentDigests.flatMap(digestItems);
  } else {
    items = [];
  }
  if (items.length === 0) throw new CscError('noDocuments');
  if (items.length > MAX_SIGNATURES) throw new CscError('invalidRequest', { description: `At most ${MAX_SIGNATURES} signatures in one request` });
  return items;
}

type Entry = Record<string, unknown>;

function asEntry(value: unknown, invalid: 'documentsInvalid' | 'documentDigestsInvalid'): Entry {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new CscError(invalid);
  return value as Entry;
}

function documentItem(value: unknown, index: number, maxBytes: number): SignDocItem {
  const entry = asEntry(value, 'documentsInvalid');
  if (typeof entry.document !== 'string') throw new CscError('documentsInvalid');
  // Checked on the base64 length first, so that an oversized document is refused before it is decoded.
  if (Math.floor((entry.document.length * 3) / 4) - 2 > maxBytes) throw tooLarge(index, maxBytes);
  const document = entry.document === '' ? new Uint8Array(0) : decodeBase64(entry.document);
  if (!document) throw new CscError('invalidBase64Document');
  if (document.length > maxBytes) throw tooLarge(index, maxBytes);
  const common = commonOf(entry, false);
  return { ...common, document, documentDigest: digestOf(common.hashAlgorithmOID, document) };
}

function tooLarge(index: number, maxBytes: number): CscError {
  return new CscError('documentTooLarge', {
    description: `Document ${index} is larger than the ${maxBytes} bytes this service signs (SIGNDOC_MAX_DOCUMENT_BYTES)`,
  });
}

function digestItems(value: unknown): SignDocItem[] {
  const entry = asEntry(value, 'documentDigestsInvalid');
  // §11.11 declares an array; its own example sends one string: both are taken.
  const raw = typeof entry.hashes === 'string' ? [entry.hashes] : entry.hashes;
  if (!Array.isArray(raw) || raw.length === 0) throw new CscError('documentDigestsInvalid');
  const common = commonOf(entry, true);
  const length = HASHES[common.hashAlgorithmOID]!.length;
  return raw.map((h) => {
    const digest = typeof h === 'string' ? decodeBase64(h) : null;
    if (!digest) throw new CscError('invalidBase64Hashes');
    if (digest.length !== length) throw new CscError('invalidDigestLength');
    return { ...common, documentDigest: digest };
  });
}

function digestOf(hashOid: string, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(HASHES[hashOid]!.node).update(data).digest());
}

/** What documents and documentDigests entries share: format, level, envelope, algorithm, signed properties. */
function commonOf(entry: Entry, fromDigest: boolean): Omit<SignDocItem, 'document' | 'documentDigest'> {
  const { signAlgo, signAlgoParams, hashAlgorithmOID } = algorithmOf(entry);
  if (typeof entry.signature_format !== 'string') throw new CscError('missingSignatureFormat');
  const format = formatOf(entry.signature_format);
  if (!format) throw new CscError('invalidSignatureFormat');
  return {
    format,
    level: levelOf(entry.conformance_level, format),
    envelope: envelopeOf(entry.signed_envelope_property, format, fromDigest),
    signAlgo,
    signAlgoParams,
    hashAlgorithmOID,
    signedProps: signedPropsOf(entry.signed_props, format),
  };
}

/**
 * signAlgo as in signHash (§11.10), and the hash every digest of the entry is under: the one signAlgo names, else
 * the entry's hashAlgorithmOID, else SHA-256 (the rule the OpenAPI document and README state). A hashAlgorithmOID
 * that contradicts signAlgo is refused (§11.11). RSASSA-PSS takes the parameters this service writes into the
 * SignerInfo: MGF1 with the same hash and a salt as long as the hash.
 */
function algorithmOf(entry: Entry): { signAlgo: string; signAlgoParams?: Uint8Array; hashAlgorithmOID: string } {
  if (typeof entry.signAlgo !== 'string') throw new CscError('missingSignAlgo');
  const algo = Object.hasOwn(SIGN_ALGOS, entry.signAlgo) ? SIGN_ALGOS[entry.signAlgo]! : undefined;
  if (!algo) throw new CscError('invalidSignAlgo');
  const given = entry.hashAlgorithmOID;
  if (given !== undefined && (typeof given !== 'string' || !Object.hasOwn(HASHES, given))) throw new CscError('invalidHashAlgorithmOID');
  const implied = algo.hash ? HASH_OID[algo.hash] : undefined;
  if (implied && given !== undefined && given !== implied) throw new CscError('hashAlgorithmContradictsSignAlgo');
  const hashAlgorithmOID = implied ?? (given as string | undefined) ?? SHA256;
  let signAlgoParams: Uint8Array | undefined;
  if (entry.signAlgoParams !== undefined) {
    const params = typeof entry.signAlgoParams === 'string' ? decodeBase64(entry.signAlgoParams) : null;
    if (!params) throw new CscError('invalidSignAlgoParams');
    signAlgoParams = params;
  }
  if (algo.scheme === 'rsa-pss') {
    if (!signAlgoParams) throw new CscError('missingSignAlgoParams');
    const expected = pssParams(HASHES[hashAlgorithmOID]!.node as HashAlg);
    if (Buffer.compare(Buffer.from(signAlgoParams), Buffer.from(expected)) !== 0) {
      throw new CscError('invalidSignAlgoParams', {
        description: 'Invalid parameter signAlgoParams: signDoc signs RSASSA-PSS with MGF1 over the same hash and a salt as long as the hash',
      });
    }
  }
  return { signAlgo: entry.signAlgo, signAlgoParams, hashAlgorithmOID };
}

/** §11.11 spells the levels "Ades-B-B" in its tables and "AdES-B-B" in its example: either is taken. */
function levelOf(value: unknown, format: SignatureFormat): ConformanceLevel {
  if (value === undefined) return 'AdES-B-B';
  if (typeof value !== 'string') throw new CscError('invalidConformanceLevel');
  const m = /^ades-(.+)$/i.exec(value);
  const level = m ? (`AdES-${m[1]!.toUpperCase()}` as ConformanceLevel) : undefined;
  if (level && format.levels.includes(level)) return level;
  if (level === ('AdES-B-LTA' as ConformanceLevel)) {
    throw new CscError('invalidConformanceLevel', {
      description: 'Invalid parameter conformance_level: AdES-B-LTA is not offered (this service adds no archive timestamps)',
    });
  }
  throw new CscError('invalidConformanceLevel');
}

function envelopeOf(value: unknown, format: SignatureFormat, fromDigest: boolean): string {
  const offered = fromDigest ? format.digestEnvelopes : format.envelopes;
  if (value === undefined) {
    // The spec's default envelope, unless it cannot be made from a digest (CAdES Attached): then the one that can.
    return offered.includes(format.envelopes[0]!) ? format.envelopes[0]! : offered[0]!;
  }
  if (typeof value !== 'string' || !offered.includes(value)) throw new CscError('invalidEnvelope');
  return value;
}

function signedPropsOf(value: unknown, format: SignatureFormat): SignedProperty[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new CscError('invalidSignedProps');
  const accepted = format.signedProps ?? [];
  const props: SignedProperty[] = [];
  const invalid: string[] = [];
  for (const p of value) {
    const name = p && typeof p === 'object' ? (p as Entry).attribute_name : undefined;
    const val = p && typeof p === 'object' ? (p as Entry).attribute_value : undefined;
    if (typeof name !== 'string' || !accepted.includes(name) || typeof val !== 'string' || (val !== '' && !decodeBase64(val))) {
      invalid.push(typeof name === 'string' ? name : '?');
    } else {
      props.push({ attribute: name, value: val });
    }
  }
  if (invalid.length) throw new CscError('invalidSignedProps', { description: `Invalid parameter signed_props (${invalid.join(', ')})` });
  return props;
}
