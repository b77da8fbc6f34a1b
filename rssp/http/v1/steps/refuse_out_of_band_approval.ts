// v1 credentials/authorize has no "authorization still underway" answer (v2 §11.6 202 + credentials/authorizeCheck).
// A credential that the SAM marks as approved out of band must never be activated inline from /csc/v1, or v1 would
// be a way around the person's approval: it is refused, and such a credential is used through /csc/v2.
import { CscError } from '../../../../core/errors.ts';
import { required, type Step } from '../../step.ts';

export const refuseOutOfBandApproval: Step = async (ctx, deps) => {
  const credential = required(ctx.state.credential, 'credential');
  if ((await deps.credentials.approvalOf(credential.credentialID)) === 'async') throw new CscError('v1ApprovalOutOfBand');
};
