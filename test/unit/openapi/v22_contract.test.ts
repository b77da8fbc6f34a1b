// The v2.2 document (csc-v2.2.yaml) against the v2.0 one (csc-v2.yaml): every method v2.2 shares with v2.0 runs the
// v2.0 action with its body checked against v2.2 (rssp/http/steps/validate_body.ts), which is sound only while the
// shared request and response shapes are the same in both documents. A change to one document alone fails here.
import { describe, expect, it } from 'vitest';
import { loadDocument, OPENAPI_YAML_PATH } from '../../../openapi/document.ts';
import { CSC_OPERATIONS } from '../../../openapi/types.ts';
import { CSC_V22_NEW_OPERATIONS } from '../../../openapi/types_v22.ts';
import { OPENAPI_V22_YAML_PATH, validateV22Request } from '../../../openapi/validate_v22.ts';

const v20 = loadDocument(OPENAPI_YAML_PATH);
const v22 = loadDocument(OPENAPI_V22_YAML_PATH);

/** A schema with every `$ref` replaced by what it names, so two documents compare by content. */
function inline(doc: typeof v20, value: unknown, seen: string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => inline(doc, v, seen));
  if (value === null || typeof value !== 'object') return value;
  const ref = (value as { $ref?: unknown }).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
    const name = ref.slice('#/components/schemas/'.length);
    if (seen.includes(name)) return { $ref: name };
    return inline(doc, doc.components.schemas[name], [...seen, name]);
  }
  if (typeof ref === 'string' && ref.startsWith('#/components/responses/')) return inline(doc, doc.components.responses[ref.slice('#/components/responses/'.length)], seen);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inline(doc, v, seen)]));
}

describe('csc-v2.2.yaml', () => {
  it('has the v2.0 shapes for every shared method but info', () => {
    for (const op of CSC_OPERATIONS.filter((o) => o !== 'info')) {
      const a = v20.paths[`/${op}`]!.post!;
      const b = v22.paths[`/${op}`]!.post!;
      expect(inline(v22, b.requestBody), op).toEqual(inline(v20, a.requestBody));
      expect(inline(v22, b.responses), op).toEqual(inline(v20, a.responses));
    }
    expect(inline(v22, v22.paths['/info']!.post!.requestBody)).toEqual(inline(v20, v20.paths['/info']!.post!.requestBody));
  });

  it('describes the methods v2.2 adds', () => {
    for (const op of CSC_V22_NEW_OPERATIONS) expect(v22.paths[`/${op}`]?.post, op).toBeDefined();
    expect(v20.paths['/credentials/create']).toBeUndefined();
  });

  it('checks credentials/create with the CSC wording', () => {
    expect(() => validateV22Request('credentials/create', { signAlgo: 'ES256', PIN: '1234' })).not.toThrow();
    const refusal = (body: unknown, op: 'credentials/create' | 'credentials/delete' = 'credentials/create') => {
      try {
        validateV22Request(op, body);
      } catch (err) {
        return [(err as { error?: string }).error, (err as { description?: string }).description];
      }
      return null;
    };
    expect(refusal({})).toEqual(['invalid_request', 'Missing (or invalid type) string parameter signAlgo']);
    expect(refusal({ signAlgo: 'ES256', PIN: '12' })?.[0]).toBe('invalid_request');
    expect(refusal({ signAlgo: 'ES256', PIN: '12' })?.[1]).toMatch(/PIN/);
    expect(refusal({ credentialID: '' }, 'credentials/delete')?.[1]).toMatch(/credentialID/);
  });
});
