// The rule of what the SAD binds for signatures/signDoc (CSC v2 §11.11; README, OpenAPI description): the digest of
// each whole document under the hash of signAlgo, else the entry's hashAlgorithmOID, else SHA-256; and the defaults
// of level and envelope.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CscError } from '../../../core/errors.ts';
import { signDocItems } from '../../../rssp/signdoc/request.ts';

const doc = Buffer.from('%PDF-1.7 whatever');
const items = (entry: Record<string, unknown>, key: 'documents' | 'documentDigests' = 'documents') =>
  signDocItems({ [key]: [entry] }, { maxDocumentBytes: 1024 });
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof CscError) return err.description;
    throw err;
  }
  return 'ok';
};

describe('signDocItems', () => {
  it('binds the digest of the whole document under the hash of signAlgo', () => {
    const [item] = items({ document: doc.toString('base64'), signature_format: 'C', signAlgo: '1.2.840.10045.4.3.3' });
    expect(item!.hashAlgorithmOID).toBe('2.16.840.1.101.3.4.2.2');
    expect(Buffer.from(item!.documentDigest)).toEqual(createHash('sha384').update(doc).digest());
  });

  it('takes SHA-256 for a bare key OID, or the entry\'s hashAlgorithmOID', () => {
    const [plain] = items({ document: doc.toString('base64'), signature_format: 'C', signAlgo: '1.2.840.113549.1.1.1' });
    expect(Buffer.from(plain!.documentDigest)).toEqual(createHash('sha256').update(doc).digest());
    const [given] = items({ document: doc.toString('base64'), signature_format: 'C', signAlgo: '1.2.840.113549.1.1.1', hashAlgorithmOID: '2.16.840.1.101.3.4.2.3' });
    expect(Buffer.from(given!.documentDigest)).toEqual(createHash('sha512').update(doc).digest());
  });

  it('defaults to AdES-B-B and the spec\'s envelope, or the one a digest allows', () => {
    const [p] = items({ document: doc.toString('base64'), signature_format: 'P', signAlgo: '1.2.840.10045.4.3.2' });
    expect([p!.level, p!.envelope]).toEqual(['AdES-B-B', 'Certification']);
    const [c] = items({ document: doc.toString('base64'), signature_format: 'C', signAlgo: '1.2.840.10045.4.3.2', conformance_level: 'ades-b-t' });
    expect([c!.level, c!.envelope]).toEqual(['AdES-B-T', 'Attached']);
    const digest = createHash('sha256').update(doc).digest('base64');
    const [d] = items({ hashes: [digest], signature_format: 'C', signAlgo: '1.2.840.10045.4.3.2' }, 'documentDigests');
    expect(d!.envelope).toBe('Detached');
  });

  it('gives one item per hash of a documentDigests entry, in order', () => {
    const a = createHash('sha256').update('a').digest();
    const b = createHash('sha256').update('b').digest();
    const out = items({ hashes: [a.toString('base64'), b.toString('base64url')], signature_format: 'P', signAlgo: '1.2.840.10045.4.3.2' }, 'documentDigests');
    expect(out.map((i) => Buffer.from(i.documentDigest))).toEqual([a, b]);
  });

  it('refuses RSASSA-PSS parameters other than those it writes', () => {
    expect(refusal(() => items({ document: doc.toString('base64'), signature_format: 'C', signAlgo: '1.2.840.113549.1.1.10' }))).toBe('Missing (or invalid type) string parameter signAlgoParams');
    expect(refusal(() => items({ document: doc.toString('base64'), signature_format: 'C', signAlgo: '1.2.840.113549.1.1.10', signAlgoParams: 'MAA=' }))).toBe(
      'Invalid parameter signAlgoParams: signDoc signs RSASSA-PSS with MGF1 over the same hash and a salt as long as the hash',
    );
  });

  it('refuses more than 1000 signatures in one request', () => {
    const h = createHash('sha256').update('x').digest('base64');
    expect(refusal(() => items({ hashes: Array(1001).fill(h), signature_format: 'C', signAlgo: '1.2.840.10045.4.3.2' }, 'documentDigests'))).toBe('At most 1000 signatures in one request');
  });
});
