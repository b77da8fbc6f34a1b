// Reads what an incremental update needs from an existing PDF: the newest trailer (/Root, /Size, /Info, /ID),
// where each object lives, and the objects themselves. Both cross-reference forms are supported — classic
// tables (ISO 32000-1 §7.5.4) and cross-reference streams with object streams (§7.5.8, §7.5.7) — following
// /Prev (and /XRefStm in hybrid files) so that the newest entry of every object wins (§7.5.6).
import { inflateSync } from 'node:zlib';
import { PdfDict, PdfLexer, PdfName, PdfRef, PdfSyntaxError, type PdfStream, type PdfValue } from './objects.ts';

export type XrefEntry = { kind: 'offset'; offset: number } | { kind: 'compressed'; stream: number; index: number } | { kind: 'free' };

export class PdfReadError extends Error {}

export class PdfDocument {
  readonly text: string;
  /** The trailer dictionary of the newest section (for an xref stream, the stream's dictionary). */
  trailer!: PdfDict;
  /** Offset of the newest cross-reference section: the /Prev of our update. */
  readonly startxref: number;
  /** Whether the newest section is a cross-reference stream; the update then writes one too. */
  usesXrefStream = false;
  /** True when the cross-reference data was wrong and rebuilt by scanning the objects (§7.5.6 leaves damaged files
   *  to the reader): the update then lists every object itself instead of pointing at the broken data by /Prev. */
  rebuilt = false;
  private readonly xref = new Map<number, XrefEntry>();
  private readonly objStmCache = new Map<number, Map<number, PdfValue>>();

  constructor(readonly bytes: Uint8Array) {
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    if (!this.text.startsWith('%PDF-')) throw new PdfReadError('not a PDF file (no %PDF- header)');
    const tail = this.text.lastIndexOf('startxref');
    if (tail < 0) throw new PdfReadError('no startxref: the file is truncated or not a PDF');
    const lx = new PdfLexer(this.text, tail + 'startxref'.length);
    const offset = Number(lx.word());
    if (!Number.isInteger(offset) || offset <= 0 || offset >= this.text.length) throw new PdfReadError('startxref points outside the file');
    this.startxref = offset;
    try {
      const first = this.readSection(offset);
      this.trailer = first.trailer;
      this.usesXrefStream = first.stream;
      const seen = new Set([offset]);
      let prev = first.trailer.get('Prev');
      while (typeof prev === 'number' && !seen.has(prev)) {
        seen.add(prev);
        prev = this.readSection(prev).trailer.get('Prev');
      }
      // A root that does not parse where the table says means offsets are off (a common writer bug).
      this.checkedObject(this.trailer.get('Root') instanceof PdfRef ? (this.trailer.get('Root') as PdfRef).num : -1);
    } catch (err) {
      if (!(err instanceof PdfSyntaxError || err instanceof PdfReadError)) throw err;
      this.rebuild(err.message);
    }
    if (!(this.trailer.get('Root') instanceof PdfRef)) throw new PdfReadError('the trailer has no /Root');
    if (typeof this.trailer.get('Size') !== 'number') throw new PdfReadError('the trailer has no /Size');
    if (this.trailer.get('Encrypt') !== undefined) throw new PdfReadError('encrypted PDFs are not supported');
  }

  get root(): PdfRef {
    return this.trailer.get('Root') as PdfRef;
  }

  get size(): number {
    return this.trailer.get('Size') as number;
  }

  /** Adds the entries of one section (older sections never override newer ones). */
  private readSection(offset: number): { trailer: PdfDict; stream: boolean } {
    const lx = new PdfLexer(this.text, offset);
    if (lx.word(true) === 'xref') {
      lx.word();
      for (;;) {
        const w = lx.word(true);
        if (w === 'trailer') break;
        const start = Number(lx.word());
        const count = Number(lx.word());
        if (!Number.isInteger(start) || !Number.isInteger(count)) throw new PdfSyntaxError('bad xref subsection header', lx.pos);
        for (let i = 0; i < count; i++) {
          const off = Number(lx.word());
          lx.word();
          const type = lx.word();
          if (type !== 'n' && type !== 'f') throw new PdfSyntaxError('bad xref entry', lx.pos);
          if (!this.xref.has(start + i)) this.xref.set(start + i, type === 'n' ? { kind: 'offset', offset: off } : { kind: 'free' });
        }
      }
      lx.expect('trailer');
      const trailer = lx.dict();
      // Hybrid-reference files (§7.5.8.4): the stream holds the entries of objects in object streams.
      const xrefStm = trailer.get('XRefStm');
      if (typeof xrefStm === 'number') this.readSection(xrefStm);
      return { trailer, stream: false };
    }
    const { stream } = this.parseIndirect(offset);
    if (!stream || (stream.dict.get('Type') as PdfName | undefined)?.name !== 'XRef') throw new PdfSyntaxError('startxref does not point at a cross-reference section', offset);
    const d = stream.dict;
    const w = d.get('W');
    if (!Array.isArray(w) || w.length !== 3 || !w.every((x) => typeof x === 'number')) throw new PdfSyntaxError('bad /W in cross-reference stream', offset);
    const [w0, w1, w2] = w as number[];
    const size = d.get('Size') as number;
    const index = (d.get('Index') as number[] | undefined) ?? [0, size];
    const data = this.decode(stream);
    const width = w0! + w1! + w2!;
    const field = (at: number, n: number) => {
      let v = 0;
      for (let i = 0; i < n; i++) v = v * 256 + data[at + i]!;
      return v;
    };
    let p = 0;
    for (let s = 0; s + 1 < index.length; s += 2) {
      const start = index[s]!;
      for (let i = 0; i < index[s + 1]!; i++, p += width) {
        if (p + width > data.length) throw new PdfSyntaxError('cross-reference stream is shorter than its /Index', offset);
        const type = w0 === 0 ? 1 : field(p, w0!);
        const a = field(p + w0!, w1!);
        const b = field(p + w0! + w1!, w2!);
        if (this.xref.has(start + i)) continue;
        if (type === 1) this.xref.set(start + i, { kind: 'offset', offset: a });
        else if (type === 2) this.xref.set(start + i, { kind: 'compressed', stream: a, index: b });
        else this.xref.set(start + i, { kind: 'free' });
      }
    }
    return { trailer: d, stream: true };
  }

  /** `n g obj … endobj` at `offset`, with its stream data when it has one. */
  private parseIndirect(offset: number): { num: number; value: PdfValue; stream?: PdfStream } {
    const lx = new PdfLexer(this.text, offset);
    const num = Number(lx.word());
    lx.word();
    lx.expect('obj');
    const value = lx.value();
    if (value instanceof PdfDict && lx.word(true) === 'stream') {
      lx.word();
      let start = lx.pos;
      if (this.text[start] === '\r') start++;
      if (this.text[start] === '\n') start++;
      let length = value.get('Length');
      if (length instanceof PdfRef) length = this.resolve(length);
      let end: number;
      if (typeof length === 'number' && this.text.startsWith('endstream', skipTo(this.text, start + length))) {
        end = start + length;
      } else {
        // A wrong /Length is common enough in the wild: fall back to the keyword.
        end = this.text.indexOf('endstream', start);
        if (end < 0) throw new PdfSyntaxError('unterminated stream', offset);
        if (this.text[end - 1] === '\n') end--;
        if (this.text[end - 1] === '\r') end--;
      }
      return { num, value, stream: { dict: value, data: this.text.slice(start, end) } };
    }
    return { num, value };
  }

  /** The decoded bytes of a stream: no filter or FlateDecode, with PNG predictors (§7.4.4.4). */
  decode(stream: PdfStream): Uint8Array {
    let data: Uint8Array = Buffer.from(stream.data, 'latin1');
    const filter = stream.dict.get('Filter');
    const filters = filter === undefined ? [] : Array.isArray(filter) ? filter : [filter];
    if (filters.length > 1) throw new PdfReadError('streams with several filters are not supported');
    if (filters.length === 1) {
      if ((filters[0] as PdfName).name !== 'FlateDecode') throw new PdfReadError(`stream filter ${(filters[0] as PdfName).name} is not supported`);
      data = inflateSync(data);
      let parms = stream.dict.get('DecodeParms');
      if (Array.isArray(parms)) parms = parms[0];
      if (parms instanceof PdfDict) {
        const predictor = (parms.get('Predictor') as number | undefined) ?? 1;
        if (predictor >= 10) data = unpredictPng(data, (parms.get('Columns') as number | undefined) ?? 1);
        else if (predictor !== 1) throw new PdfReadError('TIFF predictors are not supported');
      }
    }
    return data;
  }

  /** The value of object `num` (its newest version). */
  object(num: number): PdfValue {
    try {
      return this.checkedObject(num);
    } catch (err) {
      if (this.rebuilt || !(err instanceof PdfSyntaxError || err instanceof PdfReadError)) throw err;
      this.rebuild(err.message);
      return this.checkedObject(num);
    }
  }

  /** Every object number with where it lives: what a rebuilt file's update lists in full. */
  entries(): [number, XrefEntry][] {
    return [...this.xref].sort((a, b) => a[0] - b[0]);
  }

  /**
   * Rebuilds the cross-reference data by scanning for "n g obj" (the newest definition of a number wins) and the
   * objects held in object streams, and takes the last trailer — or cross-reference stream dictionary — that
   * names a /Root. A file with no such trailer is refused rather than guessed at.
   */
  private rebuild(reason: string): void {
    this.xref.clear();
    this.objStmCache.clear();
    this.rebuilt = true;
    const t = this.text;
    const streams: number[] = [];
    let trailer: PdfDict | undefined;
    for (const m of t.matchAll(/(?<![0-9])(\d{1,10})[\0\t\n\f\r ]+(\d{1,5})[\0\t\n\f\r ]+obj\b/g)) {
      const num = Number(m[1]);
      this.xref.set(num, { kind: 'offset', offset: m.index });
      const head = t.slice(m.index, m.index + 300);
      if (/\/Type\s*\/ObjStm/.test(head)) streams.push(num);
      if (/\/Type\s*\/XRef/.test(head)) {
        try {
          const d = this.parseIndirect(m.index).value;
          if (d instanceof PdfDict && d.get('Root') instanceof PdfRef) trailer = d;
        } catch {
          /* a damaged stream: keep looking */
        }
      }
    }
    for (let at = t.indexOf('trailer'); at >= 0; at = t.indexOf('trailer', at + 7)) {
      try {
        const d = new PdfLexer(t, at + 7).dict();
        if (d.get('Root') instanceof PdfRef) trailer = d;
      } catch {
        /* not a trailer after all */
      }
    }
    if (!trailer) throw new PdfReadError(`the cross-reference data is damaged (${reason}) and no trailer names the document's /Root`);
    for (const num of streams) {
      try {
        const { stream } = this.parseIndirect((this.xref.get(num) as { offset: number }).offset);
        if (!stream) continue;
        const lx = new PdfLexer(Buffer.from(this.decode(stream)).toString('latin1'));
        for (let i = 0; i < ((stream.dict.get('N') as number) ?? 0); i++) {
          const objNum = Number(lx.word());
          lx.word();
          if (!this.xref.has(objNum)) this.xref.set(objNum, { kind: 'compressed', stream: num, index: i });
        }
      } catch {
        /* an unreadable object stream: its objects stay unknown */
      }
    }
    const size = Math.max(...this.xref.keys()) + 1;
    this.trailer = new PdfDict(Object.fromEntries(trailer.entries));
    this.trailer.set('Size', Math.max(size, typeof trailer.get('Size') === 'number' ? (trailer.get('Size') as number) : 0));
    this.usesXrefStream = true;
  }

  private checkedObject(num: number): PdfValue {
    const e = this.xref.get(num);
    if (!e || e.kind === 'free') return null;
    if (e.kind === 'offset') {
      const got = this.parseIndirect(e.offset);
      if (got.num !== num) throw new PdfReadError(`cross-reference entry of object ${num} points at object ${got.num}`);
      return got.value;
    }
    let objs = this.objStmCache.get(e.stream);
    if (!objs) {
      objs = this.readObjectStream(e.stream);
      this.objStmCache.set(e.stream, objs);
    }
    return objs.get(num) ?? null;
  }

  resolve(v: PdfValue | undefined): PdfValue | undefined {
    const seen = new Set<number>();
    while (v instanceof PdfRef) {
      if (seen.has(v.num)) throw new PdfReadError('reference loop');
      seen.add(v.num);
      v = this.object(v.num);
    }
    return v;
  }

  private readObjectStream(num: number): Map<number, PdfValue> {
    const e = this.xref.get(num);
    if (!e || e.kind !== 'offset') throw new PdfReadError(`object stream ${num} not found`);
    const { stream } = this.parseIndirect(e.offset);
    if (!stream) throw new PdfReadError(`object ${num} is not an object stream`);
    const text = Buffer.from(this.decode(stream)).toString('latin1');
    const n = stream.dict.get('N') as number;
    const first = stream.dict.get('First') as number;
    const lx = new PdfLexer(text);
    const heads: [number, number][] = [];
    for (let i = 0; i < n; i++) heads.push([Number(lx.word()), Number(lx.word())]);
    const out = new Map<number, PdfValue>();
    for (const [objNum, off] of heads) out.set(objNum, new PdfLexer(text, first + off).value());
    return out;
  }
}

function skipTo(text: string, pos: number): number {
  const lx = new PdfLexer(text, pos);
  lx.skipSpace();
  return lx.pos;
}

function unpredictPng(data: Uint8Array, columns: number): Uint8Array {
  const row = columns + 1;
  if (data.length % row) throw new PdfReadError('PNG-predicted stream has a partial row');
  const out = new Uint8Array((data.length / row) * columns);
  const prev = new Uint8Array(columns);
  for (let r = 0; r * row < data.length; r++) {
    const type = data[r * row]!;
    const cur = out.subarray(r * columns, (r + 1) * columns);
    for (let i = 0; i < columns; i++) {
      const x = data[r * row + 1 + i]!;
      const a = i > 0 ? cur[i - 1]! : 0;
      const b = prev[i]!;
      const c = i > 0 ? prev[i - 1]! : 0;
      let v: number;
      if (type === 0) v = x;
      else if (type === 1) v = x + a;
      else if (type === 2) v = x + b;
      else if (type === 3) v = x + ((a + b) >> 1);
      else if (type === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      } else throw new PdfReadError('bad PNG predictor row type');
      cur[i] = v & 0xff;
    }
    prev.set(cur);
  }
  return out;
}
