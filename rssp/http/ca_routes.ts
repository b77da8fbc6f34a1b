// The development CA's CRL for relying parties (RFC 5280 §4.2.1.13): GET /ca/crl answers the DER CRL the SAM signs
// (sam/ca/crl.ts) as application/pkix-crl, without a token, since whoever validates a signature must be able to
// fetch it. Every certificate the CA issues names this address as its CRL distribution point (CRL_URL).
import type Koa from 'koa';
import { CRL_PATH } from '../../core/public_paths.ts';
import { CscError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { SamError, type SignatureActivation } from '../../core/sam_port.ts';
import { cscErrorFromSam } from './sam_errors.ts';

export function caRoutes(deps: { sam: Pick<SignatureActivation, 'crl'>; log: Logger }): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.path !== CRL_PATH) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.status = 405;
      ctx.set('Allow', 'GET, HEAD');
      ctx.body = { error: 'invalid_request', error_description: 'Only GET and HEAD are allowed here' };
      return;
    }
    try {
      const der = await deps.sam.crl();
      ctx.status = 200;
      ctx.type = 'application/pkix-crl';
      // A relying party may keep it for a while; the SAM signs a new one half-way to its nextUpdate.
      ctx.set('Cache-Control', 'public, max-age=300');
      ctx.body = Buffer.from(der);
    } catch (err) {
      const refusal = err instanceof SamError ? cscErrorFromSam(err) : new CscError('serverError', { cause: err });
      deps.log.error({ event: 'ca.crl', err: (err as Error).message }, 'CRL not available');
      ctx.status = refusal.status;
      ctx.body = refusal.toJSON();
    }
  };
}
