// The Document Security Store (ISO 32000-2 §12.8.4.3, ETSI EN 319 142-1 §5.4.2) in an incremental update after a
// signature: the certificates and CRLs a verifier needs to validate the signatures in the file later, each a stream
// of its DER, listed in the catalog's /DSS under /Certs and /CRLs. With it a PAdES B-T signature becomes B-LT
// (EN 319 142-1 §6.3). The signatures before the update are untouched: the update only adds objects and a new
// version of the catalog, which /ByteRange does not cover and DocMDP P 2 allows (§12.8.2.2.2).
import { writeIncrementalUpdate } from './incremental.ts';
import { PdfDict, PdfName, PdfRef, type PdfValue, serialize } from './objects.ts';
import { PdfDocument, PdfReadError } from './reader.ts';

export type ValidationData = { certificates: Uint8Array[]; crls: Uint8Array[] };

/** `pdf` with a DSS holding `data` (each value once), added to the arrays of a DSS the file already has. */
export function appendDss(pdf: Uint8Array, data: ValidationData): Uint8Array {
  const doc = new PdfDocument(pdf);
  const catalog = doc.resolve(doc.root);
  if (!(catalog instanceof PdfDict)) throw new PdfReadError('/Root is not a dictionary');
  const dssRaw = catalog.get('DSS');
  const dss = dssRaw === undefined ? new PdfDict({ Type: new PdfName('DSS') }) : doc.resolve(dssRaw);
  if (!(dss instanceof PdfDict)) throw new PdfReadError('/DSS is not a dictionary');

  const bodies = new Map<number, string>();
  let next = doc.size;
  const streams = (key: 'Certs' | 'CRLs', values: Uint8Array[]) => {
    const old = doc.resolve(dss.get(key));
    const refs: PdfValue[] = Array.isArray(old) ? [...old] : [];
    const seen = new Set<string>();
    for (const value of values) {
      const text = Buffer.from(value).toString('latin1');
      if (seen.has(text)) continue;
      seen.add(text);
      bodies.set(next, `${serialize(new PdfDict({ Length: value.length }))}\nstream\n${text}\nendstream`);
      refs.push(new PdfRef(next++, 0));
    }
    if (refs.length) dss.set(key, refs);
  };
  streams('Certs', data.certificates);
  streams('CRLs', data.crls);
  if (dssRaw instanceof PdfRef) bodies.set(dssRaw.num, serialize(dss));
  else catalog.set('DSS', dss);
  bodies.set(doc.root.num, serialize(catalog));
  return Buffer.from(writeIncrementalUpdate(doc, bodies, next).full, 'latin1');
}
