// CSC v2 §11.11 signatures/signDoc: AdES signatures the service builds itself (rssp/signdoc/formats.ts), under the
// same activation rules as signHash (§11.10). These steps check the request and find the SAD; the job kind
// (rssp/jobs/sign_doc_job.ts) builds the data to be signed and has the SAM sign it, at once or, with operationMode
// "A", later by a worker (signatures/signPolling, §11.12).
import { CscError } from '../../../core/errors.ts';
import type { SignDocInput } from '../../jobs/sign_doc_job.ts';
import { signDocItems } from '../../signdoc/request.ts';
import { loadOwnCredential } from '../steps/load_credential.ts';
import { limitSign } from '../steps/rate_limit.ts';
import { BODY_LIMIT, readJsonBody } from '../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../steps/require_bearer.ts';
import { readOperationMode } from '../steps/operation_mode.ts';
import { performOrEnqueue } from '../steps/perform_or_enqueue.ts';
import { bodyOf, validateBody } from '../steps/validate_body.ts';
import { required, type Action, type CscContext, type Step } from '../step.ts';
import { resolveSad } from './signatures_sign_hash.ts';

/** The body may carry one document of SIGNDOC_MAX_DOCUMENT_BYTES in base64 (4/3 of it), plus the other parameters. */
function signDocBodyLimit(maxDocumentBytes: number): number {
  return Math.max(BODY_LIMIT, Math.ceil(maxDocumentBytes / 3) * 4 + 64 * 1024);
}

const readSignDocBody: Step = (ctx, deps) => readJsonBody(signDocBodyLimit(deps.config.rssp.signDoc.maxDocumentBytes))(ctx, deps);

/** §11.11 lets signatureQualifier stand in for credentialID; this service signs only with the credential named. */
const requireCredentialID: Step = (ctx) => {
  const body = bodyOf(ctx, 'signatures/signDoc');
  if (body.credentialID === undefined) {
    throw new CscError(body.signatureQualifier === undefined ? 'missingCredentialID' : 'signDocCredentialRequired');
  }
};

/** Every document or digest checked now, so that a bad one is refused before anything is signed or stored (the job
 *  kind parses them again from its stored input). */
const checkItems: Step = (ctx, deps) => {
  signDocItems(bodyOf(ctx, 'signatures/signDoc'), { maxDocumentBytes: deps.config.rssp.signDoc.maxDocumentBytes });
};

/** What the job kind is given (rssp/jobs/sign_doc_job.ts performs it, now or as a job): the checked request's
 *  documents or digests as JSON, as they came (the job parses them again, so that the stored input stays plain). */
function signDocInput(ctx: CscContext): SignDocInput {
  const body = bodyOf(ctx, 'signatures/signDoc');
  return {
    credentialID: required(ctx.state.credentialID, 'credentialID'),
    ...(body.documents !== undefined ? { documents: body.documents } : {}),
    ...(body.documentDigests !== undefined ? { documentDigests: body.documentDigests } : {}),
    ...(body.returnValidationInfo === true ? { returnValidationInfo: true } : {}),
  };
}

export const signaturesSignDoc: Action = [
  requireBearer(),
  limitSign,
  requireScope('service', 'credential'),
  readSignDocBody,
  validateBody('signatures/signDoc'),
  readOperationMode,
  requireCredentialID,
  checkItems,
  loadOwnCredential(),
  resolveSad,
  performOrEnqueue('signatures/signDoc', signDocInput),
];
