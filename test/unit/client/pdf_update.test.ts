// The client's PDF layer alone: reading both cross-reference forms, the incremental update it appends, and
// clear refusals for files it cannot sign.
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PdfDict, PdfName, PdfRef, PdfString } from '../../../client/pdf/objects.ts';
import { PdfDocument, PdfReadError } from '../../../client/pdf/reader.ts';
import { pdfDate, preparePdfSignature } from '../../../client/pdf/signature_update.ts';
import { classicPdf, xrefStreamPdf } from './pdf_fixtures.ts';

const when = new Date(Date.UTC(2026, 10, 22, 9, 5, 7));

describe('PdfDocument', () => {
  it('reads a classic xref table: trailer /Root, /Size, /Info and objects by offset', () => {
    const doc = new PdfDocument(classicPdf());
    expect(doc.usesXrefStream).toBe(false);
    expect(doc.size).toBe(6);
    expect(doc.root).toEqual(new PdfRef(1, 0));
    const catalog = doc.resolve(doc.root) as PdfDict;
    expect((catalog.get('Type') as PdfName).name).toBe('Catalog');
    const info = doc.resolve(doc.trailer.get('Info')) as PdfDict;
    expect((info.get('Title') as PdfString).value).toBe('Classic test');
  });

  it('reads a PNG-predicted, compressed xref stream and objects inside an object stream', () => {
    const doc = new PdfDocument(xrefStreamPdf());
    expect(doc.usesXrefStream).toBe(true);
    expect(doc.size).toBe(7);
    const pages = doc.resolve((doc.resolve(doc.root) as PdfDict).get('Pages')) as PdfDict;
    expect(pages.get('Count')).toBe(1);
    const page = doc.resolve((pages.get('Kids') as PdfRef[])[0]) as PdfDict;
    expect((page.get('Type') as PdfName).name).toBe('Page');
    expect(page.get('MediaBox')).toEqual([0, 0, 612, 792]);
  });

  it('refuses what it cannot sign, with the reason', () => {
    expect(() => new PdfDocument(Buffer.from('hello'))).toThrow(new PdfReadError('not a PDF file (no %PDF- header)'));
    const truncated = classicPdf().subarray(0, 300);
    expect(() => new PdfDocument(truncated)).toThrow(new PdfReadError('no startxref: the file is truncated or not a PDF'));
    const encrypted = Buffer.from(classicPdf().toString('latin1').replace('/Root 1 0 R', '/Root 1 0 R /Encrypt 5 0 R'), 'latin1');
    expect(() => new PdfDocument(encrypted)).toThrow(new PdfReadError('encrypted PDFs are not supported'));
    expect(() => new PdfDocument(Buffer.from(classicPdf().toString('latin1').replace(/startxref\n\d+/, 'startxref\n999999'), 'latin1'))).toThrow(new PdfReadError('startxref points outside the file'));
  });
});

describe('preparePdfSignature', () => {
  for (const [label, make] of [['classic xref', classicPdf], ['xref stream', xrefStreamPdf]] as const) {
    it(`${label}: appends an update with the signature dictionary, field, AcroForm and page annotation`, () => {
      const original = make();
      const prepared = preparePdfSignature(original, { signingTime: when, contentsSize: 4096 });
      const bytes = Buffer.from(prepared.bytes);
      expect(bytes.subarray(0, original.length).equals(original)).toBe(true);

      // /ByteRange covers everything but the /Contents hex string, delimiters included.
      const [a, b, c, d] = prepared.byteRange;
      expect(a).toBe(0);
      expect(String.fromCharCode(bytes[b]!)).toBe('<');
      expect(String.fromCharCode(bytes[c - 1]!)).toBe('>');
      expect(c - b).toBe(4096 * 2 + 2);
      expect(c + d).toBe(bytes.length);
      expect(bytes.toString('latin1')).toContain(`/ByteRange [${prepared.byteRange.join(' ')}`);

      // Read back through the new cross-reference section, as a viewer would.
      const doc = new PdfDocument(bytes);
      expect(doc.usesXrefStream).toBe(label === 'xref stream');
      const before = new PdfDocument(original);
      expect(doc.trailer.get('Prev')).toBe(before.startxref);
      expect(doc.root).toEqual(before.root);
      const catalog = doc.resolve(doc.root) as PdfDict;
      const acro = catalog.get('AcroForm') as PdfDict;
      expect(acro.get('SigFlags')).toBe(3);
      const fields = acro.get('Fields') as PdfRef[];
      expect(fields).toHaveLength(1);
      const field = doc.resolve(fields[0]) as PdfDict;
      expect((field.get('FT') as PdfName).name).toBe('Sig');
      expect((field.get('Subtype') as PdfName).name).toBe('Widget');
      expect((field.get('T') as PdfString).value).toBe('Signature1');
      const pageRef = field.get('P') as PdfRef;
      expect((doc.resolve(pageRef) as PdfDict).get('Annots')).toEqual([fields[0]]);
      const sig = doc.resolve(field.get('V')) as PdfDict;
      expect((sig.get('Type') as PdfName).name).toBe('Sig');
      expect((sig.get('Filter') as PdfName).name).toBe('Adobe.PPKLite');
      expect((sig.get('SubFilter') as PdfName).name).toBe('ETSI.CAdES.detached');
      expect((sig.get('M') as PdfString).value).toBe('D:20261122090507Z');
      expect(sig.get('ByteRange')).toEqual(prepared.byteRange);
      expect(doc.size).toBe(before.size + (label === 'xref stream' ? 3 : 2));

      // The signed bytes are exactly the two ranges; embedding changes only the placeholder.
      expect(Buffer.from(prepared.signedBytes()).equals(Buffer.concat([bytes.subarray(0, b), bytes.subarray(c)]))).toBe(true);
      const cms = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x07]);
      const signed = Buffer.from(prepared.embed(cms));
      expect(signed.length).toBe(bytes.length);
      expect(signed.subarray(b, b + 12).toString('latin1')).toBe('<30030201070');
      expect(Buffer.concat([signed.subarray(0, b), signed.subarray(c)]).equals(Buffer.from(prepared.signedBytes()))).toBe(true);
      expect(() => prepared.embed(Buffer.alloc(4097))).toThrow(new PdfReadError('the signature (4097 bytes) does not fit the 4096-byte /Contents placeholder'));
    });
  }

  it('a second update keeps the first field and names the new one Signature2', () => {
    const once = preparePdfSignature(classicPdf(), { signingTime: when, contentsSize: 64 }).embed(Buffer.from([0x30, 0x00]));
    const twice = preparePdfSignature(once, { signingTime: when, contentsSize: 64 });
    const doc = new PdfDocument(twice.bytes);
    const fields = ((doc.resolve(doc.root) as PdfDict).get('AcroForm') as PdfDict).get('Fields') as PdfRef[];
    expect(fields.map((f) => ((doc.resolve(f) as PdfDict).get('T') as PdfString).value)).toEqual(['Signature1', 'Signature2']);
    const page = doc.resolve((doc.resolve(fields[1]) as PdfDict).get('P')) as PdfDict;
    expect(page.get('Annots')).toEqual(fields);
  });

  it('finds the page through a nested page tree and adds to an indirect /Annots array', () => {
    // 1 catalog, 2 root Pages, 3 intermediate Pages, 4 page, 5 its /Annots array (indirect), 6 an existing link annotation.
    const objects = [
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      '<< /Type /Pages /Parent 2 0 R /Kids [4 0 R] /Count 1 >>',
      '<< /Type /Page /Parent 3 0 R /MediaBox [0 0 200 200] /Annots 5 0 R >>',
      '[6 0 R]',
      '<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] >>',
    ];
    let text = '%PDF-1.7\n';
    const offs: number[] = [];
    objects.forEach((o, i) => {
      offs.push(text.length);
      text += `${i + 1} 0 obj ${o} endobj\n`;
    });
    const xref = text.length;
    text += `xref\n0 7\n0000000000 65535 f \n${offs.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}trailer << /Size 7 /Root 1 0 R >>\nstartxref ${xref}\n%%EOF`;
    const prepared = preparePdfSignature(Buffer.from(text, 'latin1'), { signingTime: when, contentsSize: 64 });
    const doc = new PdfDocument(prepared.bytes);
    const page = doc.resolve(new PdfRef(4, 0)) as PdfDict;
    expect(page.get('Annots')).toEqual([new PdfRef(6, 0), new PdfRef(8, 0)]);
    expect(prepared.bytes[text.length]).toBe(0x0a); // the update starts on a new line although %%EOF had none
  });

  describe('damaged cross-reference data is rebuilt by scanning, and the update then lists every object', () => {
    const shiftStartxref = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/startxref\n(\d+)/, (_, n: string) => `startxref\n${Number(n) + 7}`), 'latin1');
    // A comment inserted after the header moves every object without fixing the table (a common writer bug).
    const shiftObjects = (b: Buffer) => Buffer.from(b.toString('latin1').replace('%PDF-1.4\n', '%PDF-1.4\n% moved by an editor\n'), 'latin1');
    const cases: [string, Buffer][] = [
      ['startxref off (classic)', shiftStartxref(classicPdf())],
      ['table offsets off (classic)', shiftObjects(classicPdf())],
      ['startxref off (xref stream + object stream)', shiftStartxref(xrefStreamPdf())],
    ];
    for (const [label, damaged] of cases) {
      it(label, () => {
        const doc = new PdfDocument(damaged);
        expect((doc.resolve(doc.root) as PdfDict).get('Type')).toEqual(new PdfName('Catalog'));
        expect(doc.rebuilt).toBe(true);
        const prepared = preparePdfSignature(damaged, { signingTime: when, contentsSize: 64 });
        const after = new PdfDocument(prepared.bytes);
        expect(after.rebuilt).toBe(false); // our section is complete and correct
        expect(after.trailer.get('Prev')).toBeUndefined();
        const pages = after.resolve((after.resolve(after.root) as PdfDict).get('Pages')) as PdfDict;
        expect(pages.get('Count')).toBe(1);
        const acro = (after.resolve(after.root) as PdfDict).get('AcroForm') as PdfDict;
        expect((after.resolve((acro.get('Fields') as PdfRef[])[0]) as PdfDict).get('FT')).toEqual(new PdfName('Sig'));
      });
    }

    it('refuses a damaged file without any trailer naming /Root', () => {
      const noTrailer = Buffer.from(classicPdf().toString('latin1').replace(/trailer\n<<[^]*?>>\n/, '').replace(/startxref\n\d+/, 'startxref\n5'), 'latin1');
      expect(() => new PdfDocument(noTrailer)).toThrow(/^the cross-reference data is damaged \(.+\) and no trailer names the document's \/Root$/);
    });
  });

  it('refuses a document certified with no changes allowed (DocMDP /P 1), accepts /P 2', () => {
    const certified = (p: number) => {
      const objects = [
        '<< /Type /Catalog /Pages 2 0 R /Perms << /DocMDP 4 0 R >> >>',
        '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>',
        `<< /Type /Sig /Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type /TransformParams /P ${p} /V /1.2 >> >>] >>`,
      ];
      let text = '%PDF-1.7\n';
      const offs: number[] = [];
      objects.forEach((o, i) => {
        offs.push(text.length);
        text += `${i + 1} 0 obj ${o} endobj\n`;
      });
      const xref = text.length;
      text += `xref\n0 5\n0000000000 65535 f \n${offs.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}trailer << /Size 5 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
      return Buffer.from(text, 'latin1');
    };
    expect(() => preparePdfSignature(certified(1), { signingTime: when })).toThrow(new PdfReadError('the document is certified with no changes allowed (DocMDP /P 1): it cannot be signed again'));
    expect(preparePdfSignature(certified(2), { signingTime: when, contentsSize: 64 }).byteRange[0]).toBe(0);
  });

  it('writes PDF dates in UTC', () => {
    expect(pdfDate(new Date(Date.UTC(2027, 0, 2, 3, 4, 5)))).toBe('D:20270102030405Z');
  });

  it('reads objects around a flate stream whose /Length is an indirect reference', () => {
    const payload = deflateSync(Buffer.from('BT ET'));
    let text = '%PDF-1.4\n';
    const offs: number[] = [];
    const add = (s: string) => {
      offs.push(text.length);
      text += s;
    };
    add('1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n');
    add('2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n');
    add('3 0 obj << /Type /Page /Parent 2 0 R /Contents 4 0 R >> endobj\n');
    add(`4 0 obj << /Length 5 0 R /Filter /FlateDecode >>\nstream\n${payload.toString('latin1')}\nendstream endobj\n`);
    add(`5 0 obj ${payload.length} endobj\n`);
    const xref = text.length;
    text += `xref\n0 6\n0000000000 65535 f \n${offs.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}trailer << /Size 6 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
    const doc = new PdfDocument(Buffer.from(text, 'latin1'));
    expect(doc.resolve(new PdfRef(5, 0))).toBe(payload.length);
    expect((doc.resolve(new PdfRef(3, 0)) as PdfDict).get('Contents')).toEqual(new PdfRef(4, 0));
  });
});
