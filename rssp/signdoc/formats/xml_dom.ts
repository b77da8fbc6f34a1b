// The XML plumbing of the XAdES format: strict parsing (@xmldom/xmldom), Exclusive XML Canonicalization 1.0
// (xml-crypto's implementation of W3C xml-exc-c14n, without comments), serialisation, and a small element builder.
//
// What we refuse, and why: a DOCTYPE (entity expansion and external entities have no place in a document to be
// signed, and a DTD can declare ID attributes a verifier would read differently); processing instructions other
// than the XML declaration (xml-crypto's canonicaliser does not render them as C14N requires, so the digest would
// differ from a verifier's); a `&#13;` in text (see checkContent); any encoding other than UTF-8 (the document is
// read as UTF-8).
//
// Both libraries are CommonJS and their type declarations pull the whole DOM library into the program (which
// changes what BufferSource means for every other file), so they are loaded through createRequire and typed by the
// few members used here.
import { createRequire } from 'node:module';
import { DocumentFormatError } from '../format.ts';

export interface XNode {
  readonly nodeType: number;
  readonly nodeName: string;
  readonly nodeValue: string | null;
  readonly textContent: string | null;
  readonly childNodes: ArrayLike<XNode>;
}
export interface XElement extends XNode {
  readonly localName: string;
  readonly namespaceURI: string | null;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  setAttributeNS(ns: string, qname: string, value: string): void;
  appendChild(child: XNode): XNode;
  getElementsByTagNameNS(ns: string, localName: string): ArrayLike<XElement>;
}
export interface XDocument extends XNode {
  readonly documentElement: XElement | null;
  createElementNS(ns: string, qname: string): XElement;
  createTextNode(text: string): XNode;
  importNode(node: XNode, deep: boolean): XNode;
  getElementsByTagNameNS(ns: string, localName: string): ArrayLike<XElement>;
}
type ErrorHandler = { warning(m: string): void; error(m: string): void; fatalError(m: string): void };
type Xmldom = {
  DOMParser: new (o: { errorHandler: ErrorHandler }) => { parseFromString(text: string, mime: string): XDocument | undefined };
  XMLSerializer: new () => { serializeToString(node: XNode): string };
  DOMImplementation: new () => { createDocument(ns: string, qname: string, doctype: null): XDocument };
};
type XmlCrypto = { ExclusiveCanonicalization: new () => { process(node: XNode, options: object): string } };

const require = createRequire(import.meta.url);
const { DOMImplementation, DOMParser, XMLSerializer } = require('@xmldom/xmldom') as Xmldom;
const { ExclusiveCanonicalization } = require('xml-crypto') as XmlCrypto;

export const NS = {
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xades: 'http://uri.etsi.org/01903/v1.3.2#',
  xmlns: 'http://www.w3.org/2000/xmlns/',
} as const;

export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const ENVELOPED_TRANSFORM = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

const ELEMENT = 1;
const TEXT = 3;
const PROCESSING_INSTRUCTION = 7;
const DOCUMENT_TYPE = 10;
/** Element nesting we accept: far beyond real documents (invoices, forms: tens), well within what the recursive
 *  parser and canonicaliser can walk on Node's default stack. */
export const MAX_DEPTH = 1000;

export type ParsedXml = XDocument & { readonly documentElement: XElement };

export function parseXml(bytes: Uint8Array): ParsedXml {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DocumentFormatError('the XML document is not valid UTF-8');
  }
  const declared = /^<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']/.exec(text)?.[1];
  if (declared !== undefined && declared.toLowerCase() !== 'utf-8') {
    throw new DocumentFormatError(`the XML document must be UTF-8 (it declares ${declared})`);
  }
  const problems: string[] = [];
  const note = (msg: string) => problems.push(msg.replace(/^\[xmldom \w+\]\s*/, '').split('\n')[0]!);
  let doc: XDocument | undefined;
  try {
    doc = new DOMParser({ errorHandler: { warning: note, error: note, fatalError: note } }).parseFromString(text, 'application/xml');
  } catch (err) {
    if (err instanceof RangeError) throw new DocumentFormatError(`the XML document nests deeper than ${MAX_DEPTH} elements`);
    throw err;
  }
  if (problems.length > 0) throw new DocumentFormatError(`malformed XML: ${problems[0]}`);
  if (!doc?.documentElement) throw new DocumentFormatError('malformed XML: no root element');
  for (const node of Array.from(doc.childNodes)) {
    if (node.nodeType === DOCUMENT_TYPE) throw new DocumentFormatError('XML documents with a DOCTYPE are not accepted');
    if (node.nodeType === TEXT && node.nodeValue?.trim()) throw new DocumentFormatError('malformed XML: text outside the root element');
    if (node.nodeType === PROCESSING_INSTRUCTION && node.nodeName !== 'xml') refusePi();
  }
  checkContent(doc.documentElement);
  return doc as ParsedXml;
}

function refusePi(): never {
  throw new DocumentFormatError('XML processing instructions are not accepted in a document to be signed');
}

/** Refuses what the signed output could not carry faithfully: processing instructions (above); a carriage
 *  return in character data, which only a `&#13;` reference can put there (the parser turns line breaks into
 *  LF) and which xmldom's serialiser writes back as a raw CR, which the verifier's parser reads as LF; and a
 *  nesting deeper than the recursive canonicaliser can walk. Iterative, so that depth alone cannot overflow it. */
function checkContent(root: XElement): void {
  const stack: { node: XNode; depth: number }[] = [{ node: root, depth: 1 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    if (item.depth > MAX_DEPTH) throw new DocumentFormatError(`the XML document nests deeper than ${MAX_DEPTH} elements`);
    for (const child of Array.from(item.node.childNodes)) {
      if (child.nodeType === PROCESSING_INSTRUCTION) refusePi();
      if (child.nodeType === TEXT && child.nodeValue?.includes('\r')) {
        throw new DocumentFormatError('a carriage return character reference (&#13;) in XML text is not accepted');
      }
      if (child.nodeType === ELEMENT) stack.push({ node: child, depth: item.depth + 1 });
    }
  }
}

/** A new document whose root is `ds:Signature` (enveloping and detached signatures stand alone). */
export function signatureDocument(): ParsedXml {
  return new DOMImplementation().createDocument(NS.ds, 'ds:Signature', null) as ParsedXml;
}

/** Exclusive C14N 1.0 without comments of an element subtree, as UTF-8 octets. */
export function canonicalize(element: XElement): Buffer {
  return Buffer.from(new ExclusiveCanonicalization().process(element, {}), 'utf8');
}

export function serialize(doc: XDocument): Uint8Array {
  return new Uint8Array(Buffer.from(new XMLSerializer().serializeToString(doc), 'utf8'));
}

type Child = XElement | string;

/** Builds `prefix:name` in the namespace of its prefix, with attributes and children (text or elements). */
export function builder(doc: XDocument) {
  return (qname: `${'ds' | 'xades'}:${string}`, attrs: Record<string, string | undefined> = {}, children: Child[] = []) => {
    const el = doc.createElementNS(NS[qname.split(':')[0] as 'ds' | 'xades'], qname);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, v);
    for (const c of children) el.appendChild(typeof c === 'string' ? doc.createTextNode(c) : c);
    return el;
  };
}

/** Declares a prefix on an element, so that the serialised form carries it where we chose. */
export function declare(el: XElement, prefix: 'ds' | 'xades'): void {
  el.setAttributeNS(NS.xmlns, `xmlns:${prefix}`, NS[prefix]);
}
