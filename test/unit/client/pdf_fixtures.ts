// Small PDF writers for the client's tests: one file with a classic cross-reference table, one whose catalog and
// page tree live in a compressed object stream indexed by a PNG-predicted cross-reference stream (PDF 1.5).
import { deflateSync } from 'node:zlib';

const CONTENT = 'BT /F1 24 Tf 72 720 Td (Hello, signed world) Tj ET';

function page(contentsRef: number, parent: number): string {
  return `<< /Type /Page /Parent ${parent} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> /Contents ${contentsRef} 0 R >>`;
}

/** PDF 1.4, hand-written objects and a classic xref table (ISO 32000-1 §7.5.4). */
export function classicPdf(text = CONTENT): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    page(4, 2),
    `<< /Length ${text.length} >>\nstream\n${text}\nendstream`,
    '<< /Title (Classic test) /Producer (rssp tests) >>',
  ];
  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f\r\n`;
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n\r\n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 5 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** PNG "Up" predictor rows (§7.4.4.4, Predictor 12), as most writers of xref streams produce. */
function pngUp(rows: number[][]): Buffer {
  const out: number[] = [];
  let prev = new Array(rows[0]!.length).fill(0);
  for (const r of rows) {
    out.push(2, ...r.map((b, i) => (b - prev[i]! + 256) & 0xff));
    prev = r;
  }
  return Buffer.from(out);
}

/**
 * PDF 1.5: objects 1 (catalog), 2 (pages) and 3 (page) are compressed in object stream 5; 4 is the content
 * stream; 6 is a FlateDecode + PNG-predicted cross-reference stream (§7.5.7, §7.5.8). No /ID on purpose.
 */
export function xrefStreamPdf(text = CONTENT): Buffer {
  const inStream = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', page(4, 2)];
  let header = '';
  let body = '';
  inStream.forEach((o, i) => {
    header += `${i + 1} ${body.length} `;
    body += `${o}\n`;
  });
  const objStmData = deflateSync(Buffer.from(header + body, 'latin1'));
  let out = '%PDF-1.5\n%\xe2\xe3\xcf\xd3\n';
  const off4 = out.length;
  out += `4 0 obj\n<< /Length ${text.length} >>\nstream\n${text}\nendstream\nendobj\n`;
  const off5 = out.length;
  out += `5 0 obj\n<< /Type /ObjStm /N 3 /First ${header.length} /Filter /FlateDecode /Length ${objStmData.length} >>\nstream\n${objStmData.toString('latin1')}\nendstream\nendobj\n`;
  const off6 = out.length;
  const be = (n: number, w: number) => Array.from({ length: w }, (_, i) => (n >> (8 * (w - 1 - i))) & 0xff);
  const rows = [
    [0, ...be(0, 2), ...be(65535, 2)],
    [2, ...be(5, 2), ...be(0, 2)],
    [2, ...be(5, 2), ...be(1, 2)],
    [2, ...be(5, 2), ...be(2, 2)],
    [1, ...be(off4, 2), ...be(0, 2)],
    [1, ...be(off5, 2), ...be(0, 2)],
    [1, ...be(off6, 2), ...be(0, 2)],
  ];
  const xrefData = deflateSync(pngUp(rows));
  out += `6 0 obj\n<< /Type /XRef /Size 7 /W [1 2 2] /Root 1 0 R /Filter /FlateDecode /DecodeParms << /Columns 5 /Predictor 12 >> /Length ${xrefData.length} >>\nstream\n${xrefData.toString('latin1')}\nendstream\nendobj\n`;
  out += `startxref\n${off6}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
