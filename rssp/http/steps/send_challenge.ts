// Has the SAM send a one-time password for the loaded credential to its owner (CSC v2 §11.8 getChallenge, v1 §11.7
// sendOTP). rssp only says where the owner is reached, from the user directory (DESIGN §1: factors are the SAM's).
import { CscError } from '../../../core/errors.ts';
import { organisationClientId } from '../../../core/owner.ts';
import { required, type Step } from '../step.ts';

export const sendChallenge: Step = async (ctx, deps) => {
  const grant = required(ctx.state.grant, 'grant');
  const credential = required(ctx.state.credential, 'credential');
  // An organisation (e-seal owner, core/owner.ts) is no user of the directory and has no address: the SAM decides
  // (a seal's possession factor is its TOTP, so no code is ever sent for it).
  const organisation = organisationClientId(grant.userId);
  const user = organisation === null ? await deps.users.byId(grant.userId) : null;
  // A token whose user has been removed since: the credential is as good as unknown.
  if (organisation === null && !user) throw new CscError('invalidCredentialID');
  await deps.sam.getChallenge({
    ctx: ctx.state.request,
    userId: grant.userId,
    clientId: grant.clientId,
    credentialID: credential.credentialID,
    recipient: user ? { username: user.username, email: user.email, phone: user.phone } : { username: organisation! },
  });
};
