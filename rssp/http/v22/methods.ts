// The methods /csc/v2.2 implements: every v2.0 method of this service (the same actions, CSC v2 §11), and the two
// v2.2 adds (ETSI TS 119 432 V1.3.1 §11.4, §11.5). `info` publishes exactly this list and the route table has exactly
// these keys, so the two never disagree; a method added to v2.0 (signDoc, signPolling) is served here too.
import { CSC_V22_NEW_OPERATIONS } from '../../../openapi/types_v22.ts';
import { IMPLEMENTED_METHODS, type ImplementedMethod, UNIMPLEMENTED_METHODS } from '../methods.ts';

export type V22Method = ImplementedMethod | (typeof CSC_V22_NEW_OPERATIONS)[number];

export const V22_METHODS: readonly V22Method[] = [...IMPLEMENTED_METHODS, ...CSC_V22_NEW_OPERATIONS];

/** As on /csc/v2: a CSC method this service does not offer answers 501, any other name 404. */
export const V22_UNIMPLEMENTED_METHODS: ReadonlySet<string> = UNIMPLEMENTED_METHODS;
