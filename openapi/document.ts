// The OpenAPI document as data: read once from openapi/csc-v2.yaml, the single source of truth for the wire
// contract (DESIGN §1). The running service serves this file; validate.ts compiles its schemas.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** Absolute path of the document, for the service to serve it and for tools to read it. */
export const OPENAPI_YAML_PATH: string = fileURLToPath(new URL('./csc-v2.yaml', import.meta.url));

export type JsonSchema = { [keyword: string]: unknown };

type MediaType = { schema?: JsonSchema };
type ResponseObject = { description?: string; content?: Record<string, MediaType>; $ref?: string };
type Operation = {
  requestBody?: { required?: boolean; content: Record<string, MediaType> };
  responses: Record<string, ResponseObject>;
};
type Document = {
  paths: Record<string, { post?: Operation }>;
  components: { schemas: Record<string, JsonSchema>; responses: Record<string, ResponseObject> };
};

export const SCHEMA_REF_PREFIX = '#/components/schemas/';

export function loadDocument(path: string = OPENAPI_YAML_PATH): Document {
  const doc = parse(readFileSync(path, 'utf8')) as Document;
  if (!doc?.paths || !doc.components?.schemas) throw new Error(`${path}: not an OpenAPI document`);
  return doc;
}

/** The POST operation of a CSC method (CSC v2 §7.1: every method is a POST with a JSON body). */
export function operationOf(doc: Document, op: string): Operation {
  const post = doc.paths[`/${op}`]?.post;
  if (!post) throw new Error(`openapi: no POST /${op} in the document`);
  return post;
}

/** Follows a `#/components/schemas/Name` reference (one level) and returns the named schema. */
export function resolveSchema(doc: Document, schema: JsonSchema): JsonSchema {
  const ref = schema['$ref'];
  if (typeof ref !== 'string') return schema;
  if (!ref.startsWith(SCHEMA_REF_PREFIX)) throw new Error(`openapi: unsupported $ref ${ref}`);
  const target = doc.components.schemas[ref.slice(SCHEMA_REF_PREFIX.length)];
  if (!target) throw new Error(`openapi: dangling $ref ${ref}`);
  return target;
}

/** Follows a `#/components/responses/Name` reference. */
export function resolveResponse(doc: Document, response: ResponseObject): ResponseObject {
  if (response.$ref === undefined) return response;
  const name = response.$ref.replace('#/components/responses/', '');
  const target = doc.components.responses[name];
  if (!target) throw new Error(`openapi: dangling $ref ${response.$ref}`);
  return target;
}

export type { Document, Operation, ResponseObject };
