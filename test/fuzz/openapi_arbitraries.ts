// fast-check arbitraries written from the OpenAPI documents (issue #10 item 7): for each CSC method, request bodies
// that follow its schema (with known-good values mixed in for the fields that open deeper paths: a real
// credentialID, a live SAD, the hashes it covers), and mutations of them (a field removed, of the wrong type, null,
// oversized, unknown fields, a body that is not an object or not JSON at all).
import fc from 'fast-check';
import { loadDocument, operationOf, SCHEMA_REF_PREFIX, type Document, type JsonSchema } from '../../openapi/document.ts';

/** Values that reach past the first checks, by property name; each is offered beside what the schema generates. */
export type Seeds = Record<string, unknown[]>;

const MAX_ITEMS = 4;

function deref(doc: Document, s: JsonSchema): JsonSchema {
  let schema = s;
  for (let i = 0; i < 10 && typeof schema.$ref === 'string'; i++) {
    const ref = schema.$ref as string;
    const target = doc.components.schemas[ref.slice(SCHEMA_REF_PREFIX.length)];
    if (!ref.startsWith(SCHEMA_REF_PREFIX) || !target) throw new Error(`fuzz: unsupported $ref ${ref}`);
    // Sibling keywords of a $ref (a description, a tighter bound) stay with the target's.
    const { $ref: _ignored, ...rest } = schema;
    schema = { ...target, ...rest };
  }
  return schema;
}

function stringOf(s: JsonSchema): fc.Arbitrary<string> {
  if (typeof s.pattern === 'string') {
    // Patterns are anchored in our documents; fast-check generates strings matching them.
    return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length <= ((s.maxLength as number | undefined) ?? 4096));
  }
  const minLength = (s.minLength as number | undefined) ?? 0;
  const maxLength = Math.min((s.maxLength as number | undefined) ?? 64, 256);
  switch (s.format) {
    case 'uri':
      return fc.webUrl();
    case 'date-time':
      return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
    case 'email':
      return fc.emailAddress();
  }
  const lengths = { minLength, maxLength: Math.max(minLength, maxLength) };
  // Base64-ish text (what most fields hold) and any code points at all, lone surrogates included.
  return fc.oneof(fc.string({ ...lengths, unit: fc.constantFrom('a', 'Z', '0', '=', '/', '+', '-', '_') }), fc.string({ ...lengths, unit: 'binary' }));
}

export function fromSchema(doc: Document, schema: JsonSchema, seeds: Seeds, depth = 0): fc.Arbitrary<unknown> {
  const s = deref(doc, schema);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  if ('const' in s) return fc.constant(s.const);
  for (const key of ['oneOf', 'anyOf'] as const) {
    if (Array.isArray(s[key])) return fc.oneof(...(s[key] as JsonSchema[]).map((sub) => fromSchema(doc, { ...s, [key]: undefined, ...sub }, seeds, depth + 1)));
  }
  if (Array.isArray(s.allOf)) {
    return fromSchema(doc, Object.assign({}, ...(s.allOf as JsonSchema[]).map((x) => deref(doc, x)), { allOf: undefined }), seeds, depth + 1);
  }
  const type = Array.isArray(s.type) ? fc.constantFrom(...(s.type as string[])) : fc.constant((s.type as string | undefined) ?? (s.properties ? 'object' : 'string'));
  return type.chain((t) => ofType(doc, s, t, seeds, depth));
}

function ofType(doc: Document, s: JsonSchema, type: string, seeds: Seeds, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: (s.minimum as number | undefined) ?? -1000, max: (s.maximum as number | undefined) ?? 100_000 });
    case 'number':
      return fc.double({ noNaN: true, min: (s.minimum as number | undefined) ?? -1e6, max: (s.maximum as number | undefined) ?? 1e6 });
    case 'string':
      return stringOf(s);
    case 'array': {
      const minLength = (s.minItems as number | undefined) ?? 0;
      const items = s.items ? fromSchema(doc, s.items as JsonSchema, seeds, depth + 1) : fc.string();
      return fc.array(items, { minLength, maxLength: Math.max(minLength, Math.min((s.maxItems as number | undefined) ?? MAX_ITEMS, MAX_ITEMS)) });
    }
    case 'object': {
      if (depth > 6) return fc.constant({});
      const props = (s.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((s.required as string[] | undefined) ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, sub] of Object.entries(props)) {
        const generated = fromSchema(doc, sub, seeds, depth + 1);
        record[name] = seeds[name] ? fc.oneof({ arbitrary: fc.constantFrom(...seeds[name]!), weight: 3 }, { arbitrary: generated, weight: 1 }) : generated;
      }
      return fc.record(record, { requiredKeys: [...required].filter((k) => k in record) });
    }
  }
  return fc.anything();
}

const WRONG = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.string({ maxLength: 8 }),
  fc.constant('x'.repeat(100_000)),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.constant(Array.from({ length: 5000 }, () => 'AAAA')),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.constant(JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}')),
  fc.constant('\u0000\ud800'),
);

/** A body as sent: JSON text, or raw bytes that are not. */
export type Wire = { text: string; contentType: string };

/** Valid bodies and their mutations for one method of a document. */
export function requestArbitrary(doc: Document, op: string, seeds: Seeds): fc.Arbitrary<Wire> {
  const schema = operationOf(doc, op).requestBody?.content['application/json']?.schema;
  const valid = schema ? fromSchema(doc, schema, seeds) : fc.constant({});
  const json = (v: unknown): Wire => ({ text: JSON.stringify(v) ?? 'null', contentType: 'application/json' });
  const mutated = valid.chain((body) => {
    const obj = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
    const keys = Object.keys(obj);
    const anyKey = keys.length ? fc.constantFrom(...keys) : fc.constant('credentialID');
    return fc.oneof(
      anyKey.map((k) => {
        const { [k]: _dropped, ...rest } = obj;
        return json(rest);
      }),
      fc.tuple(anyKey, WRONG).map(([k, v]) => json({ ...obj, [k]: v })),
      fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.anything()).map(([k, v]) => json({ ...obj, [k]: v })),
      fc.anything().map((v) => json(v)),
      fc.constantFrom('', '{', '{"a":', 'null', '[]', '"text"', '{"hashes":[', '\u0000', '{}'.repeat(10)).map((text) => ({ text, contentType: 'application/json' })),
      fc.constant({ text: JSON.stringify(obj), contentType: 'text/plain' }),
    );
  });
  return fc.oneof({ arbitrary: valid.map(json), weight: 2 }, { arbitrary: mutated, weight: 3 });
}

export function documentOf(path: string): Document {
  return loadDocument(path);
}
