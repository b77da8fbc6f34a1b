// signatures/signDoc as a job kind (CSC v2 §11.11): AdES signatures the service builds itself
// (rssp/signdoc/formats.ts), now (operationMode "S") or later by a worker ("A"). rssp builds the data to be signed
// around each document digest; the SAM verifies the SAD against those digests (signer, client, credential, hashes,
// count, consumed atomically) and signs the DTBS/R hashes (signInputs), checking itself, for CMS signed attributes,
// that they carry the authorized digest (docs/architecture.md, "signDoc trust boundary").
import { toBase64 } from '../../core/base64.ts';
import { CscError } from '../../core/errors.ts';
import { SamError, type SignInput } from '../../core/sam_port.ts';
import type { RsspDeps } from '../http/deps.ts';
import { DocumentFormatError, type FinishServices, type FormatOutput, type PreparedSignature, type Signer } from '../signdoc/format.ts';
import { validationDataOf } from '../signdoc/formats/validation_data.ts';
import { signDocItems, type SignDocItem } from '../signdoc/request.ts';
import type { JobRun } from './job.ts';

/** The request's credential and its documents or digests, as the client sent them (JSON). */
export type SignDocInput = { credentialID: string; documents?: unknown; documentDigests?: unknown; returnValidationInfo?: boolean };

export async function performSignDoc(run: JobRun<SignDocInput>, deps: Pick<RsspDeps, 'sam' | 'credentials' | 'config'>): Promise<Record<string, unknown>> {
  const { input } = run;
  const items = signDocItems(input, { maxDocumentBytes: deps.config.rssp.signDoc.maxDocumentBytes });
  // Owned by the caller when the request was checked; looked up again, since a job may run long after (and the
  // certificates are not part of the stored input).
  const credential = await deps.credentials.get(input.credentialID);
  if (!credential || credential.ownerId !== run.owner.userId) throw new CscError('invalidCredentialID');
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
        ctx: run.request,
        sad: run.sad,
        userId: run.owner.userId,
        clientId: run.owner.clientId,
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

  const tokens: Uint8Array[] = [];
  const services: FinishServices = {
    timestamp: async (hash, hashAlgorithmOID) => {
      const { timestamp } = await deps.sam.timestamp({ ctx: run.request, userId: run.owner.userId, clientId: run.owner.clientId, hash, hashAlgorithmOID });
      tokens.push(timestamp);
      return timestamp;
    },
    crl: () => deps.sam.crl(),
  };
  const outputs: FormatOutput[] = [];
  for (const [i, p] of prepared.entries()) outputs.push(await asDocumentError(() => p.finish(values[i]!, services)));
  const withSignature = outputs.filter((o) => o.kind === 'DocumentWithSignature').map((o) => toBase64(o.bytes));
  const objects = outputs.filter((o) => o.kind === 'SignatureObject').map((o) => toBase64(o.bytes));
  // §11.11 output: each array only when the request asked for that kind of signature.
  return {
    ...(withSignature.length ? { DocumentWithSignature: withSignature } : {}),
    ...(objects.length ? { SignatureObject: objects } : {}),
    ...(input.returnValidationInfo === true ? { validationInfo: await validationInfoOf(credential.certificates, tokens, services) } : {}),
  };
}

/** §11.11 validationInfo: what validates every signature made and its timestamps (the signer's chain, the TSA's
 *  certificates, the CA's CRL). One object for the request: the signatures share a signer, a CA and a TSA. No OCSP
 *  responses: the CA has no responder, so `ocsp` is absent. */
async function validationInfoOf(certificates: Uint8Array[], tokens: Uint8Array[], services: FinishServices): Promise<{ certificates: string[]; crl: string[] }> {
  const data = await validationDataOf({ certificates } as Signer, tokens, services);
  return { certificates: data.certificates.map(toBase64), crl: data.crls.map(toBase64) };
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

