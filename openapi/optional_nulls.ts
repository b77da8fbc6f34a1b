// Tolerant input (issue #12 item 3): clients generated from nullable models (the EUDI rQES library, A-SIT's
// csc-data-classes) send `"param": null` for every OPTIONAL parameter they leave unset. The CSC text defines a
// parameter as present or absent, never null, so an explicit null of an optional parameter is read as absent and
// removed before validation. Which parameters are optional is what the OpenAPI document says (its `required`
// lists), walked into nested objects and array items, so there is no hand-kept list to drift. A REQUIRED parameter
// that is null stays, and is refused by the schema with the spec's "Missing (or invalid type) … parameter X"; a
// property whose schema itself admits null (credentials/list `userID`, CSC v2 §11.4) keeps its null.
import { resolveSchema, type Document, type JsonSchema } from './document.ts';

/** What to prune under one object or array, compiled once from the schema. */
export type NullPruner = {
  /** Properties that are optional and do not admit null: a null value is removed. */
  drop: ReadonlySet<string>;
  /** Nested objects / arrays worth descending into. */
  children: ReadonlyMap<string, NullPruner>;
  /** For an array: what to prune in each item. */
  items?: NullPruner;
};

/** Compiles the pruner of `schema`; undefined when nothing under it can be pruned. */
export function compileNullPruner(doc: Document, schema: JsonSchema, depth = 0): NullPruner | undefined {
  // Request schemas are shallow; the bound only guards against a self-referencing schema.
  if (depth > 8) return undefined;
  const parts = flatten(doc, schema);
  const properties = new Map<string, JsonSchema[]>();
  const required = new Set<string>();
  let items: JsonSchema | undefined;
  for (const part of parts) {
    for (const name of (part['required'] ?? []) as string[]) required.add(name);
    for (const [name, prop] of Object.entries((part['properties'] ?? {}) as Record<string, JsonSchema>)) {
      properties.set(name, [...(properties.get(name) ?? []), prop]);
    }
    if (part['items'] && typeof part['items'] === 'object') items = part['items'] as JsonSchema;
  }
  const drop = new Set<string>();
  const children = new Map<string, NullPruner>();
  for (const [name, schemas] of properties) {
    if (!required.has(name) && !schemas.some((s) => admitsNull(doc, s))) drop.add(name);
    const child = compileNullPruner(doc, { allOf: schemas }, depth + 1);
    if (child) children.set(name, child);
  }
  const itemPruner = items ? compileNullPruner(doc, items, depth + 1) : undefined;
  if (!drop.size && !children.size && !itemPruner) return undefined;
  return { drop, children, ...(itemPruner ? { items: itemPruner } : {}) };
}

/**
 * `value` without the nulls the pruner removes. Copy on write: `value` itself is never changed, and is returned
 * as it is when there is nothing to remove. Anything not of the shape the schema describes is left for the
 * validator to refuse.
 */
export function pruneNulls(pruner: NullPruner | undefined, value: unknown): unknown {
  if (!pruner || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    if (!pruner.items) return value;
    const items = value.map((v) => pruneNulls(pruner.items, v));
    return items.some((v, i) => v !== value[i]) ? items : value;
  }
  let out: Record<string, unknown> | undefined;
  const entries = Object.entries(value);
  entries.forEach(([key, inner], i) => {
    const child = pruner.children.get(key);
    const next = inner === null && pruner.drop.has(key) ? REMOVED : child ? pruneNulls(child, inner) : inner;
    if (next === inner) {
      if (out) put(out, key, inner);
      return;
    }
    out ??= Object.fromEntries(entries.slice(0, i));
    if (next !== REMOVED) put(out, key, next);
  });
  return out ?? value;
}

const REMOVED = Symbol('removed');

/** A plain own property, also for a key such as "__proto__" that JSON.parse makes an own property. */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The schema and every part it is made of (`$ref`, `allOf`), each resolved. */
function flatten(doc: Document, schema: JsonSchema, seen = new Set<JsonSchema>()): JsonSchema[] {
  const resolved = resolveSchema(doc, schema);
  if (seen.has(resolved)) return [];
  seen.add(resolved);
  const out = [resolved];
  for (const part of (resolved['allOf'] ?? []) as JsonSchema[]) out.push(...flatten(doc, part, seen));
  return out;
}

function admitsNull(doc: Document, schema: JsonSchema): boolean {
  return flatten(doc, schema).some((part) => {
    const type = part['type'];
    if (type === 'null' || (Array.isArray(type) && type.includes('null'))) return true;
    if (part['const'] === null || (Array.isArray(part['enum']) && part['enum'].includes(null))) return true;
    return ((part['oneOf'] ?? part['anyOf'] ?? []) as JsonSchema[]).some((alt) => admitsNull(doc, alt));
  });
}
