// Prepares a PDF for a PAdES signature as an incremental update (ISO 32000-1 §7.5.6): the original bytes are
// kept untouched and followed by a signature dictionary (§12.8.1) with a /ByteRange and a zero-filled /Contents
// placeholder, a signature field that is also its widget annotation (§12.7.4.5, §12.5.6.19), new versions of the
// catalog (with /AcroForm) and of the first page (with the widget in /Annots), and a cross-reference section of
// the same form as the file's newest one. ETSI EN 319 142-1 §5.3 / §6.3 (PAdES B-B): /SubFilter
// ETSI.CAdES.detached, the signing time in /M, and the CMS carries no signing-time attribute.
import { writeIncrementalUpdate } from './incremental.ts';
import { PdfDict, PdfName, PdfRaw, PdfRef, PdfString, type PdfValue, serialize } from './objects.ts';
import { PdfDocument, PdfReadError } from './reader.ts';

export type PreparedPdf = {
  /** The file with the placeholder: original bytes + update. */
  readonly bytes: Uint8Array;
  /** /ByteRange: everything but the /Contents hex string, delimiters included (§12.8.1). */
  readonly byteRange: [number, number, number, number];
  /** The bytes the signature covers, in order. */
  signedBytes(): Uint8Array;
  /** The final file with the DER CMS written into /Contents. */
  embed(cms: Uint8Array): Uint8Array;
};

export type PrepareOptions = {
  signingTime: Date;
  /** Bytes reserved for the CMS; the default fits a chain of a few certificates. */
  contentsSize?: number;
  reason?: string;
  name?: string;
  location?: string;
  contactInfo?: string;
  /** A certification signature (ISO 32000-1 §12.8.2.2, PAdES EN 319 142-1 §5.4): the DocMDP transform with these
   *  access permissions (1 no changes, 2 form filling and signing, 3 also annotations). Must be the document's first
   *  signature. Absent: an approval signature. */
  docMdp?: 1 | 2 | 3;
};

/** PDF date string (§7.9.4), in UTC. */
export function pdfDate(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `D:${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

const BYTERANGE_WIDTH = 40;

function firstPage(doc: PdfDocument, pages: PdfValue | undefined): PdfRef {
  let node = pages;
  for (let depth = 0; depth < 64; depth++) {
    if (!(node instanceof PdfRef)) break;
    const d = doc.resolve(node);
    if (!(d instanceof PdfDict)) break;
    const type = d.get('Type');
    if (type instanceof PdfName && type.name === 'Page') return node;
    const kids = doc.resolve(d.get('Kids'));
    if (!Array.isArray(kids) || kids.length === 0) break;
    node = kids[0];
  }
  throw new PdfReadError('the document has no page to attach the signature field to');
}

function fieldNames(doc: PdfDocument, fields: PdfValue[]): Set<string> {
  const names = new Set<string>();
  for (const f of fields) {
    const d = doc.resolve(f);
    const t = d instanceof PdfDict ? d.get('T') : undefined;
    if (t instanceof PdfString) names.add(t.value);
  }
  return names;
}

export function preparePdfSignature(original: Uint8Array, opts: PrepareOptions): PreparedPdf {
  const doc = new PdfDocument(original);
  const contentsSize = opts.contentsSize ?? 16_384;
  const catalog = doc.resolve(doc.root);
  if (!(catalog instanceof PdfDict)) throw new PdfReadError('/Root is not a dictionary');
  // A certification signature that allows no changes (DocMDP /P 1, §12.8.2.2) would be broken by any new signature.
  const perms = doc.resolve(catalog.get('Perms'));
  if (perms instanceof PdfDict) {
    const mdp = doc.resolve(perms.get('DocMDP'));
    const refs = mdp instanceof PdfDict ? doc.resolve(mdp.get('Reference')) : undefined;
    for (const r of Array.isArray(refs) ? refs : []) {
      const params = doc.resolve(doc.resolve(r) instanceof PdfDict ? (doc.resolve(r) as PdfDict).get('TransformParams') : undefined);
      if (params instanceof PdfDict && params.get('P') === 1) throw new PdfReadError('the document is certified with no changes allowed (DocMDP /P 1): it cannot be signed again');
    }
  }
  if (opts.docMdp !== undefined) {
    // §12.8.2.2.1: a document has at most one certification signature, and it is the first one.
    if (perms instanceof PdfDict && perms.get('DocMDP') !== undefined) throw new PdfReadError('the document is already certified: it cannot be certified again');
    const acro = doc.resolve(catalog.get('AcroForm'));
    const existing = acro instanceof PdfDict ? doc.resolve(acro.get('Fields')) : undefined;
    for (const f of Array.isArray(existing) ? existing : []) {
      const field = doc.resolve(f);
      const ft = field instanceof PdfDict ? field.get('FT') : undefined;
      if (field instanceof PdfDict && field.get('V') !== undefined && ft instanceof PdfName && ft.name === 'Sig') {
        throw new PdfReadError('the document is already signed: a certification signature must be the first signature (sign it as a revision)');
      }
    }
  }
  const pageRef = firstPage(doc, catalog.get('Pages'));
  const page = doc.resolve(pageRef) as PdfDict;

  const sigNum = doc.size;
  const fieldNum = doc.size + 1;
  const fieldRef = new PdfRef(fieldNum, 0);
  const updated = new Map<number, PdfValue>(); // object number -> new version (generation kept as 0)

  // AcroForm: create it, or add our field to the existing one wherever it lives (§12.7.2).
  const acroRaw = catalog.get('AcroForm');
  const acro = acroRaw === undefined ? new PdfDict() : doc.resolve(acroRaw);
  if (!(acro instanceof PdfDict)) throw new PdfReadError('/AcroForm is not a dictionary');
  const oldFields = doc.resolve(acro.get('Fields'));
  const fields = Array.isArray(oldFields) ? [...oldFields] : [];
  const taken = fieldNames(doc, fields);
  let n = 1;
  while (taken.has(`Signature${n}`)) n++;
  fields.push(fieldRef);
  acro.set('Fields', fields);
  // SignaturesExist | AppendOnly (§12.7.2, Table 219): viewers must keep later changes incremental.
  acro.set('SigFlags', 3);
  if (acroRaw instanceof PdfRef) updated.set(acroRaw.num, acro);
  else catalog.set('AcroForm', acro);
  updated.set(doc.root.num, catalog);

  const annotsRaw = page.get('Annots');
  const annots = doc.resolve(annotsRaw);
  page.set('Annots', [...(Array.isArray(annots) ? annots : []), fieldRef]);
  updated.set(pageRef.num, page);

  const sig = new PdfDict({
    Type: new PdfName('Sig'),
    Filter: new PdfName('Adobe.PPKLite'),
    SubFilter: new PdfName('ETSI.CAdES.detached'),
    ByteRange: new PdfRaw(`[${' '.repeat(BYTERANGE_WIDTH - 2)}]`),
    Contents: new PdfRaw(`<${'0'.repeat(contentsSize * 2)}>`),
    M: new PdfString(pdfDate(opts.signingTime)),
  });
  if (opts.reason) sig.set('Reason', new PdfString(opts.reason));
  if (opts.name) sig.set('Name', new PdfString(opts.name));
  if (opts.location) sig.set('Location', new PdfString(opts.location));
  if (opts.contactInfo) sig.set('ContactInfo', new PdfString(opts.contactInfo));
  if (opts.docMdp !== undefined) {
    sig.set('Reference', [
      new PdfDict({
        Type: new PdfName('SigRef'),
        TransformMethod: new PdfName('DocMDP'),
        TransformParams: new PdfDict({ Type: new PdfName('TransformParams'), P: opts.docMdp, V: new PdfName('1.2') }),
      }),
    ]);
    // §12.8.4 Table 258: the catalog's /Perms names the certification signature.
    const permsDict = perms instanceof PdfDict ? perms : new PdfDict();
    permsDict.set('DocMDP', new PdfRef(sigNum, 0));
    const permsRaw = catalog.get('Perms');
    if (permsRaw instanceof PdfRef) updated.set(permsRaw.num, permsDict);
    else catalog.set('Perms', permsDict);
  }
  updated.set(sigNum, sig);
  // An invisible widget (zero rectangle, Print + Locked flags) merged with its field (§12.5.6.19, Table 165).
  updated.set(
    fieldNum,
    new PdfDict({
      Type: new PdfName('Annot'),
      Subtype: new PdfName('Widget'),
      FT: new PdfName('Sig'),
      T: new PdfString(`Signature${n}`),
      V: new PdfRef(sigNum, 0),
      P: pageRef,
      Rect: [0, 0, 0, 0],
      F: 132,
    }),
  );

  const bodies = new Map([...updated].map(([num, value]) => [num, serialize(value)]));
  const { full, offsets } = writeIncrementalUpdate(doc, bodies, doc.size + 2);
  const sigStart = offsets.get(sigNum)!;
  const contentsAt = full.indexOf('/Contents <', sigStart) + '/Contents '.length;
  const contentsEnd = contentsAt + contentsSize * 2 + 2;
  const byteRange: [number, number, number, number] = [0, contentsAt, contentsEnd, full.length - contentsEnd];
  const brAt = full.indexOf('/ByteRange [', sigStart) + '/ByteRange '.length;
  const inner = byteRange.join(' ');
  if (inner.length > BYTERANGE_WIDTH - 2) throw new PdfReadError('the document is too large for the /ByteRange placeholder');
  const withRange = full.slice(0, brAt) + `[${inner.padEnd(BYTERANGE_WIDTH - 2, ' ')}]` + full.slice(brAt + BYTERANGE_WIDTH);
  const bytes = Buffer.from(withRange, 'latin1');
  if (bytes.length !== full.length) throw new Error('internal error: /ByteRange changed the file length');

  return {
    bytes,
    byteRange,
    signedBytes: () => Buffer.concat([bytes.subarray(0, byteRange[1]), bytes.subarray(byteRange[2])]),
    embed(cms: Uint8Array) {
      const hex = Buffer.from(cms).toString('hex');
      if (hex.length > contentsSize * 2) throw new PdfReadError(`the signature (${cms.length} bytes) does not fit the ${contentsSize}-byte /Contents placeholder`);
      const outBytes = Buffer.from(bytes);
      outBytes.write(hex, contentsAt + 1, 'latin1');
      return outBytes;
    },
  };
}
