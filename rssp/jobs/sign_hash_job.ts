// signatures/signHash as a job kind (CSC v2 §11.10): the SAM verifies the SAD against signer, client, credential,
// hashes and count, consumes it, signs and verifies (DESIGN §2.3, §2.4). The input is what the request's steps
// checked and decoded, in JSON.
import { decodeBase64, toBase64 } from '../../core/base64.ts';
import type { RsspDeps } from '../http/deps.ts';
import type { JobRun } from './job.ts';

export type SignHashInput = {
  credentialID: string;
  /** Standard base64 of the decoded digests. */
  hashes: string[];
  hashAlgorithmOID?: string;
  signAlgo: string;
  signAlgoParams?: string;
};

const bytes = (b64: string) => {
  const b = decodeBase64(b64);
  if (!b) throw new Error('job input: not base64'); // written by us from decoded bytes: a bug, not a client error
  return b;
};

export async function performSignHash(run: JobRun<SignHashInput>, deps: Pick<RsspDeps, 'sam'>): Promise<{ signatures: string[] }> {
  const { input } = run;
  const { signatures } = await deps.sam.signHash({
    ctx: run.request,
    sad: run.sad,
    userId: run.owner.userId,
    clientId: run.owner.clientId,
    credentialID: input.credentialID,
    hashes: input.hashes.map(bytes),
    hashAlgorithmOID: input.hashAlgorithmOID,
    signAlgo: input.signAlgo,
    signAlgoParams: input.signAlgoParams === undefined ? undefined : bytes(input.signAlgoParams),
  });
  // Standard base64, in the order of the request's hashes (§11.10 signatures).
  return { signatures: signatures.map(toBase64) };
}
