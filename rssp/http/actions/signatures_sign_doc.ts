// CSC v2 §11.11 signatures/signDoc: AdES signatures the service builds itself (rssp/signdoc/formats.ts). The same
// activation rules as signHash (§11.10): rssp checks the request, finds the SAD, and builds the data to be signed
// around each document digest; the SAM verifies the SAD against those digests (signer, client, credential, hashes,
// count, consumed atomically) and signs the DTBS/R hashes (signInputs), checking itself, for CMS signed attributes,
// that they carry the authorized digest (docs/architecture.md, "signDoc trust boundary").
import { toBase64 } from '../../../core/base64.ts';
import { CscError } from '../../../core/errors.ts';
import { SamError, type SignInput } from '../../../core/sam_port.ts';
import { DocumentFormatError, type FinishServices, type FormatOutput, type PreparedSignature } from '../../signdoc/format.ts';
import { signDocItems, type SignDocItem } from '../../signdoc/request.ts';
import type { RsspDeps } from '../deps.ts';
import { loadOwnCredential } from '../steps/load_credential.ts';
import { limitSign } from '../steps/rate_limit.ts';
import { BODY_LIMIT, readJsonBody } from '../steps/read_json_body.ts';
import { requireBearer, requireScope } from '../steps/require_bearer.ts';
import { respond } from '../steps/respond.ts';
import { bodyOf, validateBody } from '../steps/validate_body.ts';
import { required, type Action, type CscContext, type Step } from '../step.ts';
import { resolveSad } from './signatures_sign_hash.ts';

/** The body may carry one document of SIGNDOC_MAX_DOCUMENT_BYTES in base64 (4/3 of it), plus the other parameters. */
export function signDocBodyLimit(maxDocumentBytes: number): number {
  return Math.max(BODY_LIMIT, Math.ceil(maxDocumentBytes / 3) * 4 + 64 * 1024);
}

const readSignDocBody: Step = (ctx, deps) => readJsonBody(signDocBodyLimit(deps.config.signDoc.maxDocumentBytes))(ctx, deps);

/** Asynchronous mode is not wired to signDoc yet: "A" is refused as for signHash. */
const refuseAsynchronousMode: Step = (ctx) => {
  if (bodyOf(ctx, 'signatures/signDoc').operationMode === 'A') throw new CscError('invalidOperationMode');
};

/** §11.11 lets signatureQualifier stand in for credentialID; this service signs only with the credential named. */
const requireCredentialID: Step = (ctx) => {
  const body = bodyOf(ctx, 'signatures/signDoc');
  if (body.credentialID === undefined) {
    throw new CscError(body.signatureQualifier === undefined ? 'missingCredentialID' : 'signDocCredentialRequired');
  }
};

const parseItems: Step = (ctx, deps) => {
  ctx.state.signDocItems = signDocItems(bodyOf(ctx, 'signatures/signDoc'), { maxDocumentBytes: deps.config.signDoc.maxDocumentBytes });
};

async function signDocuments(ctx: CscContext, deps: RsspDeps) {
  const items = required(ctx.state.signDocItems, 'signDocItems');
  const grant = required(ctx.state.grant, 'grant');
  const credential = required(ctx.state.credential, 'credential');
  if (credential.certificates.length === 0) throw new CscError('certificateNotValid');
  // One clock reading for the whole request: every signature claims the same signing time.
  const signingTime = new Date();
  const prepared = await Promise.all(
    items.map((item) =>
      asDocumentError(() =>
        item.format.prepare({
          document: item.document,
          documentDigest: item.documentDigest,
          envelope: item.envelope,
          level: item.level,
          signedProps: item.signedProps,
          signingTime,
          signer: {
            certificates: credential.certificates,
            signAlgo: item.signAlgo,
            signAlgoParams: item.signAlgoParams,
            hashAlgorithmOID: item.hashAlgorithmOID,
          },
        }),
      ),
    ),
  );

  // One SAM call per signing algorithm (most requests have one): the SAD is checked against the document digests,
  // the key signs the DTBS/R hashes.
  const values: Uint8Array[] = new Array(items.length);
  for (const group of groupBySigning(items)) {
    const signInputs: SignInput[] = group.map((i) => signInputOf(prepared[i]!));
    const first = items[group[0]!]!;
    let signatures: Uint8Array[];
    try {
      ({ signatures } = await deps.sam.signHash({
        ctx: ctx.state.request,
        sad: required(ctx.state.sad, 'sad'),
        userId: grant.userId,
        clientId: grant.clientId,
        credentialID: credential.credentialID,
        hashes: group.map((i) => items[i]!.documentDigest),
        hashAlgorithmOID: first.hashAlgorithmOID,
        signAlgo: first.signAlgo,
        signAlgoParams: first.signAlgoParams,
        signInputs,
      }));
    } catch (err) {
      // §11.11: a document or digest the SAD does not cover has its own answer (403 invalid_hash).
      if (err instanceof SamError && err.code === 'SAM_HASH_NOT_AUTHORIZED') throw new CscError('documentNotAuthorized', { cause: err });
      throw err;
    }
    group.forEach((i, k) => (values[i] = signatures[k]!));
  }

  const services: FinishServices = {
    timestamp: async (hash, hashAlgorithmOID) =>
      (await deps.sam.timestamp({ ctx: ctx.state.request, userId: grant.userId, clientId: grant.clientId, hash, hashAlgorithmOID })).timestamp,
  };
  const outputs: FormatOutput[] = [];
  for (const [i, p] of prepared.entries()) outputs.push(await asDocumentError(() => p.finish(values[i]!, services)));
  const withSignature = outputs.filter((o) => o.kind === 'DocumentWithSignature').map((o) => toBase64(o.bytes));
  const objects = outputs.filter((o) => o.kind === 'SignatureObject').map((o) => toBase64(o.bytes));
  // §11.11 output: each array only when the request asked for that kind of signature.
  return {
    ...(withSignature.length ? { DocumentWithSignature: withSignature } : {}),
    ...(objects.length ? { SignatureObject: objects } : {}),
  };
}

function signInputOf(p: PreparedSignature): SignInput {
  return p.bindsDocumentDigest ? { hash: p.dtbsrHash, cmsSignedAttributes: p.dtbsr } : { hash: p.dtbsrHash };
}

/** Indexes of the items, grouped by what one signHash call of the SAM fixes: algorithm, its parameters, the hash. */
function groupBySigning(items: SignDocItem[]): number[][] {
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const key = `${item.signAlgo}|${item.signAlgoParams ? toBase64(item.signAlgoParams) : ''}|${item.hashAlgorithmOID}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  return [...groups.values()];
}

/** A document the format cannot use is the client's problem: 400 with the format's reason, never a 500. */
async function asDocumentError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DocumentFormatError) throw new CscError('documentMalformed', { description: err.message, cause: err });
    throw err;
  }
}

export const signaturesSignDoc: Action = [
  requireBearer(),
  limitSign,
  requireScope('service', 'credential'),
  readSignDocBody,
  validateBody('signatures/signDoc'),
  refuseAsynchronousMode,
  requireCredentialID,
  parseItems,
  loadOwnCredential(),
  resolveSad,
  respond(signDocuments),
];
