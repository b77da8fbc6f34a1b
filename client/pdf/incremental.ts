// Writing an incremental update (ISO 32000-1 §7.5.6): the original bytes untouched, followed by new versions of some
// objects and a cross-reference section of the same form as the file's newest one (a table, or a stream §7.5.8),
// whose trailer points back to the previous one. Used by the signature update and by the DSS update of PAdES B-LT.
import { PdfDict, PdfName, serialize } from './objects.ts';
import type { PdfDocument } from './reader.ts';

/**
 * `bodies`: object number -> what goes between "N 0 obj" and "endobj" (a serialized value, or a dictionary followed
 * by its stream). `newSize` is the trailer /Size without the cross-reference stream object, which, when the file
 * uses streams, gets number `newSize`. Returns the whole new file (latin1 text) and where each object starts.
 */
export function writeIncrementalUpdate(doc: PdfDocument, bodies: Map<number, string>, newSize: number): { full: string; offsets: Map<number, number> } {
  // Write the update. The original may not end with an end-of-line: start on a fresh line.
  const last = doc.text[doc.text.length - 1];
  let out = last === '\n' || last === '\r' ? '' : '\n';
  const base = doc.text.length;
  const offsets = new Map<number, number>();
  for (const [num, body] of [...bodies].sort((a, b) => a[0] - b[0])) {
    offsets.set(num, base + out.length);
    out += `${num} 0 obj\n${body}\nendobj\n`;
  }
  const trailerEntries = (size: number) => {
    const t = new PdfDict({ Size: size, Root: doc.root });
    for (const k of ['Info', 'ID']) if (doc.trailer.get(k) !== undefined) t.set(k, doc.trailer.get(k)!);
    // A rebuilt file's old cross-reference data is wrong: this section then lists every object and has no /Prev.
    if (!doc.rebuilt) t.set('Prev', doc.startxref);
    return t;
  };
  const xrefOffset = base + out.length;
  if (doc.usesXrefStream) {
    // A cross-reference stream (§7.5.8) without filter, listing itself too.
    const xrefNum = newSize;
    offsets.set(xrefNum, xrefOffset);
    const all = new Map<number, [number, number, number]>(); // number -> [type, field 2, field 3] (§7.5.8.3)
    if (doc.rebuilt) {
      all.set(0, [0, 0, 0xffff]);
      for (const [num, e] of doc.entries()) {
        if (e.kind === 'offset') all.set(num, [1, e.offset, 0]);
        else if (e.kind === 'compressed') all.set(num, [2, e.stream, e.index]);
      }
      for (let n = 0; n <= xrefNum; n++) if (!all.has(n)) all.set(n, [0, 0, 0]);
    }
    for (const [num, off] of offsets) all.set(num, [1, off, 0]);
    const nums = [...all.keys()].sort((a, b) => a - b);
    const rows: number[] = [];
    const index: number[] = [];
    for (const num of nums) {
      if (index.length && index[index.length - 2]! + index[index.length - 1]! === num) index[index.length - 1]!++;
      else index.push(num, 1);
      const [type, a, b] = all.get(num)!;
      rows.push(type, (a >>> 24) & 0xff, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff, (b >>> 8) & 0xff, b & 0xff);
    }
    const d = trailerEntries(newSize + 1);
    d.set('Type', new PdfName('XRef')).set('W', [1, 4, 2]).set('Index', index).set('Length', rows.length);
    out += `${xrefNum} 0 obj\n${serialize(d)}\nstream\n${Buffer.from(rows).toString('latin1')}\nendstream\nendobj\n`;
  } else {
    out += 'xref\n';
    const nums = [...offsets.keys()].sort((a, b) => a - b);
    for (let i = 0; i < nums.length; ) {
      let j = i;
      while (j + 1 < nums.length && nums[j + 1] === nums[j]! + 1) j++;
      out += `${nums[i]} ${j - i + 1}\n`;
      for (let k = i; k <= j; k++) out += `${String(offsets.get(nums[k]!)).padStart(10, '0')} 00000 n\r\n`;
      i = j + 1;
    }
    out += `trailer\n${serialize(trailerEntries(newSize))}\n`;
  }
  out += `startxref\n${xrefOffset}\n%%EOF\n`;
  return { full: doc.text + out, offsets };

}
