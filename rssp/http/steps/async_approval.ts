// CSC v2 §11.6 "With HTTP status code 202 ... some authorization is still underway": for a credential approved
// out of band, credentials/authorize does not activate; the SAM records the request and sends the person a link
// to the approval page (authz/pages/approval.ts), and the answer is 202 with the handle to poll with (§11.7).
import { CscError } from '../../../core/errors.ts';
import { required, type Step } from '../step.ts';
import { bodyOf } from './validate_body.ts';

/** Where approval pages are served, under PUBLIC_URL. */
const APPROVAL_PATH = '/approve/';

/** Runs `inline` for ordinary credentials; answers 202 {handle} for those the SAM marks as approved out of band. */
export function deferWhenApprovedOutOfBand(inline: Step): Step {
  return async (ctx, deps) => {
    const credential = required(ctx.state.credential, 'credential');
    // An unknown credential goes inline too: the SAM refuses it there with the usual error.
    if ((await deps.credentials.approvalOf(credential.credentialID)) !== 'async') return inline(ctx, deps);
    const grant = required(ctx.state.grant, 'grant');
    const user = await deps.users.byId(grant.userId);
    if (!user) throw new CscError('invalidCredentialID');
    const body = bodyOf(ctx, 'credentials/authorize');
    const { handle } = await deps.sam.requestApproval({
      ctx: ctx.state.request,
      userId: grant.userId,
      clientId: grant.clientId,
      credentialID: credential.credentialID,
      numSignatures: body.numSignatures,
      hashes: ctx.state.hashes,
      hashAlgorithmOID: body.hashAlgorithmOID,
      description: body.description,
      recipient: { username: user.username, email: user.email, phone: user.phone },
      linkBase: `${deps.config.publicUrl}${APPROVAL_PATH}`,
    });
    ctx.status = 202;
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = { handle };
  };
}
