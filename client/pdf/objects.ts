// The PDF object model (ISO 32000-1 §7.3) as far as the signing client needs it: parse the objects of an
// existing file and write new ones for an incremental update. Byte offsets are character indices of the file
// read as latin1, so every byte maps to one character and back.

export class PdfName {
  constructor(readonly name: string) {}
}

export class PdfRef {
  constructor(
    readonly num: number,
    readonly gen: number,
  ) {}
}

/** A string object, kept as raw bytes (latin1 characters); `hex` remembers the form it was written in. */
export class PdfString {
  constructor(
    readonly value: string,
    readonly hex = false,
  ) {}
}

/** Text written verbatim by the serializer (placeholders whose exact width matters). */
export class PdfRaw {
  constructor(readonly text: string) {}
}

export type PdfValue = number | boolean | null | PdfName | PdfRef | PdfString | PdfRaw | PdfValue[] | PdfDict;

export class PdfDict {
  readonly entries = new Map<string, PdfValue>();
  constructor(init?: Record<string, PdfValue>) {
    for (const [k, v] of Object.entries(init ?? {})) this.entries.set(k, v);
  }
  get(key: string): PdfValue | undefined {
    return this.entries.get(key);
  }
  set(key: string, value: PdfValue): this {
    this.entries.set(key, value);
    return this;
  }
}

export type PdfStream = { dict: PdfDict; data: string };

export class PdfSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at byte ${offset}`);
  }
}

const WHITESPACE = new Set(['\0', '\t', '\n', '\f', '\r', ' ']);
const DELIMITERS = new Set(['(', ')', '<', '>', '[', ']', '{', '}', '/', '%']);

/** A cursor over the file's text. */
export class PdfLexer {
  constructor(
    readonly text: string,
    public pos = 0,
  ) {}

  skipSpace(): void {
    const t = this.text;
    for (;;) {
      while (this.pos < t.length && WHITESPACE.has(t[this.pos]!)) this.pos++;
      if (t[this.pos] !== '%') return;
      while (this.pos < t.length && t[this.pos] !== '\n' && t[this.pos] !== '\r') this.pos++;
    }
  }

  /** A regular token (keyword or number) without consuming it when `peek`. */
  word(peek = false): string {
    this.skipSpace();
    let end = this.pos;
    const t = this.text;
    while (end < t.length && !WHITESPACE.has(t[end]!) && !DELIMITERS.has(t[end]!)) end++;
    const w = t.slice(this.pos, end);
    if (!peek) this.pos = end;
    return w;
  }

  expect(keyword: string): void {
    const at = this.pos;
    const w = this.word();
    if (w !== keyword) throw new PdfSyntaxError(`expected "${keyword}", found "${w.slice(0, 20)}"`, at);
  }

  value(): PdfValue {
    this.skipSpace();
    const t = this.text;
    const c = t[this.pos];
    const at = this.pos;
    if (c === undefined) throw new PdfSyntaxError('unexpected end of file', at);
    if (c === '<' && t[this.pos + 1] === '<') return this.dict();
    if (c === '<') return this.hexString();
    if (c === '(') return this.literalString();
    if (c === '[') {
      this.pos++;
      const items: PdfValue[] = [];
      for (;;) {
        this.skipSpace();
        if (t[this.pos] === ']') {
          this.pos++;
          return items;
        }
        if (this.pos >= t.length) throw new PdfSyntaxError('unterminated array', at);
        items.push(this.value());
      }
    }
    if (c === '/') {
      this.pos++;
      const raw = this.word();
      return new PdfName(raw.replace(/#([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))));
    }
    const w = this.word();
    if (w === 'true') return true;
    if (w === 'false') return false;
    if (w === 'null') return null;
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(w)) {
      // "n g R" is a reference: look ahead without committing.
      if (/^\d+$/.test(w)) {
        const save = this.pos;
        const g = this.word();
        if (/^\d+$/.test(g) && this.word() === 'R') return new PdfRef(Number(w), Number(g));
        this.pos = save;
      }
      return Number(w);
    }
    throw new PdfSyntaxError(`unexpected token "${w.slice(0, 20) || c}"`, at);
  }

  dict(): PdfDict {
    this.skipSpace();
    const at = this.pos;
    if (!this.text.startsWith('<<', at)) throw new PdfSyntaxError('expected a dictionary', at);
    this.pos += 2;
    const d = new PdfDict();
    for (;;) {
      this.skipSpace();
      if (this.text.startsWith('>>', this.pos)) {
        this.pos += 2;
        return d;
      }
      const key = this.value();
      if (!(key instanceof PdfName)) throw new PdfSyntaxError('dictionary key is not a name', at);
      d.set(key.name, this.value());
    }
  }

  private hexString(): PdfString {
    const at = this.pos;
    const end = this.text.indexOf('>', this.pos);
    if (end < 0) throw new PdfSyntaxError('unterminated hex string', at);
    let hex = this.text.slice(this.pos + 1, end).replace(/[\0\t\n\f\r ]/g, '');
    if (!/^[0-9A-Fa-f]*$/.test(hex)) throw new PdfSyntaxError('invalid hex string', at);
    if (hex.length % 2) hex += '0';
    this.pos = end + 1;
    return new PdfString(Buffer.from(hex, 'hex').toString('latin1'), true);
  }

  private literalString(): PdfString {
    const at = this.pos;
    const t = this.text;
    let depth = 0;
    let out = '';
    for (let i = this.pos; i < t.length; i++) {
      const c = t[i]!;
      if (c === '\\') {
        const n = t[++i]!;
        const esc: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '(': '(', ')': ')', '\\': '\\' };
        if (n in esc) out += esc[n];
        else if (/[0-7]/.test(n)) {
          let oct = n;
          while (oct.length < 3 && /[0-7]/.test(t[i + 1] ?? '')) oct += t[++i];
          out += String.fromCharCode(parseInt(oct, 8) & 0xff);
        } else if (n === '\r') {
          if (t[i + 1] === '\n') i++;
        } else if (n !== '\n') out += n;
        continue;
      }
      if (c === '(') {
        if (depth++ === 0) continue;
      } else if (c === ')') {
        if (--depth === 0) {
          this.pos = i + 1;
          return new PdfString(out);
        }
      }
      out += c;
    }
    throw new PdfSyntaxError('unterminated string', at);
  }
}

function num(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return n.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
}

function nameText(name: string): string {
  return '/' + name.replace(/[^!-~]|[#()<>[\]{}/%]/g, (c) => '#' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}

/** Writes a value in PDF syntax. Strings are always written in hex: no escaping questions. */
export function serialize(v: PdfValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return num(v);
  if (v instanceof PdfName) return nameText(v.name);
  if (v instanceof PdfRef) return `${v.num} ${v.gen} R`;
  if (v instanceof PdfRaw) return v.text;
  if (v instanceof PdfString) return `<${Buffer.from(v.value, 'latin1').toString('hex')}>`;
  if (Array.isArray(v)) return `[${v.map(serialize).join(' ')}]`;
  return `<<${[...v.entries].map(([k, x]) => `${nameText(k)} ${serialize(x)}`).join(' ')}>>`;
}
