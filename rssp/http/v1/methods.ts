// The CSC v1.0.4.0 methods served at /csc/v1 (CSC v1 §11). The route table has exactly these keys and v1 `info`
// publishes exactly this list, so the two can never disagree.
import { CSC_V1_OPERATIONS } from '../../../openapi/validate_v1.ts';

/** The operations of the v1 contract (openapi/csc-v1.yaml) are exactly the methods served. */
export const V1_METHODS = CSC_V1_OPERATIONS;

export type V1Method = (typeof V1_METHODS)[number];

/** v1 methods this service does not offer: 501 (same error model as v2), unlike a name that is no method (404). */
export const V1_UNIMPLEMENTED: ReadonlySet<string> = new Set(['signatures/timestamp']);
