// The CSC v2 methods this service implements (CSC v2 §11, Table 4). The route table must have exactly these keys
// and `info` publishes exactly this list, so the two can never disagree.
import { CSC_OPERATIONS, type CscOperation } from '../../openapi/validate.ts';

/** The CSC methods of the contract: its operations but this service's own extensions (ext/…), which are served
 *  but not announced. */
export type ImplementedMethod = Exclude<CscOperation, `ext/${string}`>;
export const IMPLEMENTED_METHODS: readonly ImplementedMethod[] = CSC_OPERATIONS.filter(
  (op): op is ImplementedMethod => !op.startsWith('ext/'),
);

/** Methods of CSC v2 that this service does not offer: 501 Not Implemented (CSC v2 §10), unlike a name that is
 *  no CSC method at all (404). */
export const UNIMPLEMENTED_METHODS: ReadonlySet<string> = new Set([
  'credentials/sendOTP',
  'signatures/signDoc',
]);
