// Turns schema violations into the one error_description a CSC client sees. The wording follows the error
// tables of CSC v2 §11.2 – §11.10 so that clients which match on it keep working:
//   missing field, or wrong JSON type → "Missing (or invalid type) <type> parameter <name>"
//   any other violation              → "Invalid parameter <name>"   (plus the few special phrasings below)
// Only the first failing field is reported, first in the order the schema lists its properties, so the
// answer to a given body never depends on ajv's internal evaluation order.
import type { ErrorObject } from 'ajv';

/**
 * Wordings the spec tables give for particular parameters instead of "Invalid parameter <name>", used for
 * every violation of that parameter other than missing / wrong type.
 */
const INVALID_WORDING: Record<string, string> = {
  numSignatures: 'Invalid value for parameter numSignatures', // CSC v2 §11.6: numSignatures < 1
  validity_period: 'Out of bounds parameter validity_period', // CSC v2 §11.10: out of bounds
  token: 'Invalid string parameter token', // CSC v2 §11.3
  token_type_hint: 'Invalid string parameter token_type_hint', // CSC v2 §11.3: neither access_ nor refresh_token
  refresh_token: 'Invalid string parameter refresh_token', // CSC v2 §11.2: invalid format
  documents: 'Invalid array parameter documents', // CSC v2 §11.11
  documentDigests: 'Invalid object parameter documentDigests', // CSC v2 §11.11
  hashType: 'Invalid parameter hashType: expected dtbsr, sdr or sodr', // CSC v2.2 data model §8.2
};

/** CSC v2 §11.10 names a clientData that is not a string "invalid", not "missing (or invalid type)". */
const TYPE_WORDING: Record<string, string> = {
  clientData: 'Invalid parameter clientData',
  nonce: 'Invalid parameter nonce', // CSC v2 §11.13: "Invalid or non-numeric nonce parameter"
  // CSC v2 §11.10: "When present, invalid …" for each of the asynchronous mode's parameters.
  operationMode: 'Invalid parameter operationMode',
  validity_period: 'Invalid parameter validity_period',
  response_uri: 'Invalid parameter response_uri',
};

export type PropertyInfo = {
  /** The properties of the request object, in the order the document lists them. */
  order: readonly string[];
  /** The JSON type a property must have ("string", "integer", "array"…), for the "Missing" wording. */
  typeOf(name: string): string | undefined;
};

type Located = { error: ErrorObject; prop: string | undefined; rank: number; depth: number; kind: number; seq: number };

export function describeFirstError(errors: readonly ErrorObject[], props: PropertyInfo): string | undefined {
  const located = errors.map((error, seq) => locate(error, seq, props));
  located.sort((a, b) => a.rank - b.rank || a.depth - b.depth || a.kind - b.kind || a.seq - b.seq);
  const first = located[0];
  if (!first || first.prop === undefined) return undefined;
  return describe(first, props);
}

function locate(error: ErrorObject, seq: number, props: PropertyInfo): Located {
  const segments = error.instancePath.split('/').slice(1).map(unescapePointer);
  let prop = segments[0];
  let depth = segments.length;
  if (error.keyword === 'required' && segments.length === 0) {
    prop = (error.params as { missingProperty: string }).missingProperty;
    depth = 1;
  }
  const index = prop === undefined ? -1 : props.order.indexOf(prop);
  return {
    error,
    prop,
    rank: index === -1 ? Number.MAX_SAFE_INTEGER : index,
    depth,
    // At the same place, "missing" and "wrong type" explain more than the keyword checks that follow.
    kind: error.keyword === 'required' || error.keyword === 'type' ? 0 : 1,
    seq,
  };
}

function describe({ error, prop, depth }: Located, props: PropertyInfo): string {
  const name = prop as string;
  // CSC v2 §11.10: problems with the digests have their own wordings (v1 names the same array `hash`).
  if (name === 'hashes' || name === 'hash') {
    if (depth > 1) return 'Invalid Base64 hash string parameter';
    if (error.keyword === 'minItems') return 'Empty hash array';
    if (error.keyword === 'maxItems') return `Too many hashes: at most ${(error.params as { limit: number }).limit} in one request`;
    // signatures/timestamp (§11.13) takes one digest as a string.
    if (error.keyword === 'minLength') return 'Empty hash parameter';
    if (error.keyword === 'pattern') return 'Invalid Base64 hash string parameter';
  }
  if (depth === 1 && (error.keyword === 'required' || error.keyword === 'type')) {
    const special = error.keyword === 'type' ? TYPE_WORDING[name] : undefined;
    if (special) return special;
    const type = props.typeOf(name);
    return type ? `Missing (or invalid type) ${type} parameter ${name}` : `Missing (or invalid type) parameter ${name}`;
  }
  return INVALID_WORDING[name] ?? `Invalid parameter ${name}`;
}

// RFC 6901 §4: "~1" is "/" and "~0" is "~" inside a JSON pointer segment.
function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
