// The DSS update of PAdES B-LT (client/pdf/dss_update.ts): a further incremental update whose catalog names /DSS with
// one stream per certificate and CRL, on both cross-reference forms, the earlier bytes untouched, and a second update
// that adds to the first DSS instead of replacing it.
import { describe, expect, it } from 'vitest';
import { appendDss } from '../../../client/pdf/dss_update.ts';
import { PdfDict, PdfName, PdfRef } from '../../../client/pdf/objects.ts';
import { PdfDocument } from '../../../client/pdf/reader.ts';
import { classicPdf, xrefStreamPdf } from './pdf_fixtures.ts';

const cert = (n: number) => new Uint8Array([0x30, 0x03, 0x02, 0x01, n]);

function dss(pdf: Uint8Array): { certs: string[]; crls: string[] } {
  const doc = new PdfDocument(pdf);
  const d = doc.resolve((doc.resolve(doc.root) as PdfDict).get('DSS')) as PdfDict;
  expect((d.get('Type') as PdfName).name).toBe('DSS');
  const text = Buffer.from(pdf).toString('latin1');
  const data = (ref: PdfRef) => {
    const head = `\n${ref.num} 0 obj\n`;
    const at = text.lastIndexOf(head) + head.length;
    const m = /^<<\/Length (\d+)>>\nstream\n/.exec(text.slice(at))!;
    return Buffer.from(text.slice(at + m[0].length, at + m[0].length + Number(m[1])), 'latin1').toString('hex');
  };
  const list = (k: string) => ((doc.resolve(d.get(k)) as PdfRef[] | undefined) ?? []).map(data);
  return { certs: list('Certs'), crls: list('CRLs') };
}

describe('appendDss', () => {
  for (const [name, make] of [['a cross-reference table', classicPdf], ['a cross-reference stream', xrefStreamPdf]] as const) {
    it(`on ${name}: the original bytes stay, the DSS lists each value once, a second update adds to it`, () => {
      const original = make();
      const once = appendDss(original, { certificates: [cert(1), cert(2), cert(1)], crls: [cert(9)] });
      expect(Buffer.from(once.subarray(0, original.length)).equals(Buffer.from(original))).toBe(true);
      expect(dss(once)).toEqual({ certs: ['3003020101', '3003020102'], crls: ['3003020109'] });
      const twice = appendDss(once, { certificates: [cert(3)], crls: [] });
      expect(Buffer.from(twice.subarray(0, once.length)).equals(Buffer.from(once))).toBe(true);
      expect(dss(twice)).toEqual({ certs: ['3003020101', '3003020102', '3003020103'], crls: ['3003020109'] });
      // The new file still has its pages: the catalog was rewritten, not lost.
      const doc = new PdfDocument(twice);
      expect((doc.resolve(doc.root) as PdfDict).get('Pages')).toBeInstanceOf(PdfRef);
    });
  }
});
