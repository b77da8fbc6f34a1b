// A token that allows one call (CSC v2.2 RAR credential_creation / credential_deletion, AccessGrant.singleUse) is
// spent here, after every check of the request that can fail without side effects and before the method acts: a
// malformed request leaves the token usable, and of two calls in parallel only one gets past (the issuer spends it
// with a conditional UPDATE). The second gets 401 invalid_token tokenAlreadyUsed. Tokens without the mark pass.
import { CscError } from '../../../core/errors.ts';
import { required, type Step } from '../step.ts';

export function spendSingleUseToken(): Step {
  return async (ctx, deps) => {
    const grant = required(ctx.state.grant, 'grant');
    if (grant.singleUse === undefined) return;
    // Fail closed: a verifier that cannot spend the grant does not let it through unspent.
    if (!deps.tokens.spend || !(await deps.tokens.spend(grant))) throw new CscError('tokenAlreadyUsed');
  };
}
