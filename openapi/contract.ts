// One OpenAPI document compiled into request and response checks. Each API version we serve (csc-v2.yaml at
// /csc/v2, csc-v1.yaml at /csc/v1) is one contract built by this function, so both versions are validated by the
// same code with the same CSC error wording. Compiled once, when the version's module loads: a broken document
// fails the process at start-up, not the first request.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { CscError } from '../core/errors.ts';
import { describeFirstError, type PropertyInfo } from './describe_error.ts';
import { compileNullPruner, pruneNulls, type NullPruner } from './optional_nulls.ts';
import {
  loadDocument,
  operationOf,
  resolveResponse,
  resolveSchema,
  SCHEMA_REF_PREFIX,
  type Document,
  type JsonSchema,
} from './document.ts';

// ajv-formats is CommonJS; under ESM its callable sits on `default`.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

type RequestCheck = { validate: ValidateFunction; required: boolean; props: PropertyInfo; nulls: NullPruner | undefined };
type ResponseCheck = { validate: ValidateFunction } | { noContent: true };

export type Contract<Op extends string> = {
  /**
   * Checks a request body against the method's schema. Throws CscError('invalidRequest') whose description is
   * the spec's wording for the first failing field, or CscError('notJson') when the body is not a JSON object.
   * Unknown fields are allowed and ignored. A method whose body is optional treats an absent body as `{}`.
   * An explicit null of an optional parameter counts as absent (optional_nulls.ts). Returns the body as checked:
   * a copy without those nulls, `{}` for an absent optional body.
   */
  validateRequest(op: Op, body: unknown): unknown;
  /**
   * Checks a response against what the document declares for this method and status: the success schema, the
   * `Error` schema for refusals, no body for 204. Returns human-readable problems, empty when it conforms.
   */
  validateResponse(op: Op, status: number, body: unknown): string[];
};

/** Compiles the document at `path` for the POST methods `operations`; `id` names its JSON Schema resource. */
export function compileContract<Op extends string>(opts: { path: string; id: string; operations: readonly Op[] }): Contract<Op> {
  const doc = loadDocument(opts.path);
  const ajv = new Ajv2020({
    // Every violation is collected so the one reported can be chosen deterministically (describe_error.ts).
    allErrors: true,
    strict: true,
    // Conditional rules (if/then, anyOf of `required`) name properties declared by the enclosing object.
    strictRequired: false,
    // `userID` is string or null (CSC v2 §11.4).
    allowUnionTypes: true,
  });
  addFormats(ajv);
  // The component schemas become one JSON Schema resource; OpenAPI's `#/components/schemas/X` references are
  // rewritten to `#/$defs/X` inside it, which is the same pointer in a plain JSON Schema document.
  ajv.addSchema({ $id: opts.id, $defs: rewriteRefs(doc.components.schemas, opts.id) });

  const compiled = new Map<string, ValidateFunction>();
  const validatorFor = (schema: JsonSchema): ValidateFunction => {
    const ref = schema['$ref'];
    const key = typeof ref === 'string' ? ref : JSON.stringify(schema);
    let fn = compiled.get(key);
    if (!fn) {
      fn = ajv.compile(rewriteRefs(schema, opts.id) as object);
      compiled.set(key, fn);
    }
    return fn;
  };

  const requestChecks = new Map<string, RequestCheck>();
  const responseChecks = new Map<string, Map<string, ResponseCheck>>();
  for (const op of opts.operations) {
    const operation = operationOf(doc, op);
    const body = operation.requestBody;
    const schema = body?.content['application/json']?.schema;
    if (!body || !schema) throw new Error(`openapi: POST /${op} has no application/json request body`);
    requestChecks.set(op, {
      validate: validatorFor(schema),
      required: body.required === true,
      props: propertyInfo(doc, schema),
      nulls: compileNullPruner(doc, schema),
    });

    const byStatus = new Map<string, ResponseCheck>();
    for (const [status, declared] of Object.entries(operation.responses)) {
      const response = resolveResponse(doc, declared);
      const content = response.content?.['application/json']?.schema;
      byStatus.set(status, content ? { validate: validatorFor(content) } : { noContent: true });
    }
    responseChecks.set(op, byStatus);
  }

  return {
    validateRequest(op, body) {
      const check = requestChecks.get(op);
      if (!check) throw new Error(`openapi: unknown operation ${op}`);
      if (body === undefined && !check.required) body = {};
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new CscError('notJson');
      body = pruneNulls(check.nulls, body);
      if (check.validate(body)) return body;
      const description = describeFirstError(check.validate.errors ?? [], check.props);
      throw new CscError('invalidRequest', description === undefined ? {} : { description });
    },
    validateResponse(op, status, body) {
      const byStatus = responseChecks.get(op);
      if (!byStatus) return [`unknown operation ${op}`];
      const check = byStatus.get(String(status)) ?? byStatus.get(`${Math.floor(status / 100)}XX`) ?? byStatus.get('default');
      if (!check) return [`status ${status} is not documented for ${op}`];
      if ('noContent' in check) {
        // HTTP clients report "no body" differently: undefined, null, '' or (supertest) an empty object.
        const empty =
          body === undefined ||
          body === null ||
          body === '' ||
          (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0);
        return empty ? [] : [`status ${status} of ${op} has no body, got ${JSON.stringify(body)}`];
      }
      if (check.validate(body)) return [];
      return (check.validate.errors ?? []).map(formatError);
    },
  };
}

function formatError(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(body)' : error.instancePath;
  const params = error.params as { additionalProperty?: string; unevaluatedProperty?: string };
  const unexpected = params.additionalProperty ?? params.unevaluatedProperty;
  return `${where} ${error.message ?? error.keyword}${unexpected === undefined ? '' : ` (${unexpected})`}`;
}

function rewriteRefs(value: unknown, id: string): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, id));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] =
      key === '$ref' && typeof inner === 'string' && inner.startsWith(SCHEMA_REF_PREFIX)
        ? `${id}#/$defs/${inner.slice(SCHEMA_REF_PREFIX.length)}`
        : rewriteRefs(inner, id);
  }
  return out;
}

/** The order and JSON types of a request object's properties, for describe_error.ts. */
function propertyInfo(document: Document, schema: JsonSchema): PropertyInfo {
  const object = resolveSchema(document, schema);
  const properties = (object['properties'] ?? {}) as Record<string, JsonSchema>;
  return {
    order: Object.keys(properties),
    typeOf: (name) => {
      const prop = properties[name];
      return prop === undefined ? undefined : jsonTypeOf(document, prop);
    },
  };
}

function jsonTypeOf(document: Document, schema: JsonSchema): string | undefined {
  const type = schema['type'];
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.find((t) => t !== 'null') as string | undefined;
  if (typeof schema['$ref'] === 'string') return jsonTypeOf(document, resolveSchema(document, schema));
  for (const part of (schema['allOf'] ?? []) as JsonSchema[]) {
    const found = jsonTypeOf(document, part);
    if (found) return found;
  }
  return undefined;
}
