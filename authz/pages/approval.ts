// The approval page of asynchronous authorization (CSC v2 §8.3.1.1 out-of-band response, §11.7): the person opens
// the link they were sent, sees what the application asks to sign, and approves with their factors (PIN and
// one-time password) or refuses. Server-rendered HTML forms, no script. The page shows the link as a QR code
// too, so that it can be opened on a phone.
//
// CSRF: the form carries a random token that must equal the one in a SameSite=Strict, HttpOnly cookie set with
// the page (double submit), so another site cannot post a decision in the person's browser. The link's secret is
// in the path: the page is never cached, never framed, and sends no Referer.
import type Koa from 'koa';
import QRCode from 'qrcode';
import type { Logger } from '../../core/log.ts';
import { requestContextOf } from '../../core/request_context.ts';
import { SamError, type ApprovalView, type SignatureActivation } from '../../core/sam_port.ts';
import { readForm, setPageHeaders } from './page_http.ts';
import { csrfTokensMatch, esc, newCsrfToken, page as basePage } from './render.ts';

const APPROVAL_PREFIX = '/approve/';
const CSRF_COOKIE = 'rssp_approval_csrf';
const LINK = /^[A-Za-z0-9_-]{20,128}$/;

/** A page of the kit with its title as heading (the approval page is in English only). */
const page = (title: string, body: string): string => basePage('en', title, `<h1>${esc(title)}</h1>${body}`);

async function approvalForm(view: ApprovalView, url: string, csrf: string, error?: string): Promise<string> {
  const hashes = view.hashes.map((h) => `<li><code>${esc(Buffer.from(h).toString('base64'))}</code></li>`).join('');
  const qr = await QRCode.toString(url, { type: 'svg', margin: 1 });
  return page(
    'Approve signature',
    `<p>A signature application asks to sign with your credential. Check the request, then approve it with your PIN and
one-time password, or refuse it.</p>
${error ? `<p role="alert">${esc(error)}</p>` : ''}
<dl><dt>Application</dt><dd>${esc(view.clientId)}</dd><dt>Credential</dt><dd><code>${esc(view.credentialID)}</code></dd>
<dt>Number of signatures</dt><dd>${view.numSignatures}</dd>
${view.description ? `<dt>Description</dt><dd>${esc(view.description)}</dd>` : ''}
${hashes ? `<dt>Document hashes</dt><dd><ul>${hashes}</ul></dd>` : ''}
<dt>Valid until</dt><dd>${esc(view.expiresAt)}</dd></dl>
<form method="post" action="${esc(new URL(url).pathname)}">
<input type="hidden" name="csrf" value="${esc(csrf)}">
<label for="pin">PIN</label><input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="off">
<label for="otp">One-time password</label><input id="otp" name="otp" type="text" inputmode="numeric" autocomplete="one-time-code">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="refuse">Refuse</button>
</form>
<div class="qr"><p>Open this page on your phone:</p>${qr}</div>`,
  );
}

const FINAL: Record<Exclude<ApprovalView['state'], 'pending'>, [string, string]> = {
  approved: ['Signature approved', 'You approved the request. You can return to the application.'],
  refused: ['Signature refused', 'You refused the request. Nothing will be signed.'],
  expired: ['Request expired', 'This request has expired. Start again from the application.'],
};

function finalPage(state: Exclude<ApprovalView['state'], 'pending'>): string {
  const [title, text] = FINAL[state];
  return page(title, `<p role="status">${esc(text)}</p>`);
}

const notFound = () => page('Unknown request', '<p role="alert">This link is not valid.</p>');

/** Refusals from the SAM that the person can act on, in their words; the rest is a generic failure. */
function factorMessage(err: SamError): string {
  switch (err.code) {
    case 'SAM_CREDENTIAL_LOCKED':
      return 'Your credential is locked after too many wrong attempts. Contact your administrator.';
    case 'SAM_CREDENTIAL_DISABLED':
      return 'Your credential is disabled.';
    default:
      return 'The PIN or one-time password is wrong.';
  }
}

export function approvalPages(deps: { sam: SignatureActivation; log: Logger; publicUrl: string }): Koa.Middleware {
  const secure = deps.publicUrl.startsWith('https://');
  return async (ctx, next) => {
    if (!ctx.path.startsWith(APPROVAL_PREFIX)) return next();
    const link = ctx.path.slice(APPROVAL_PREFIX.length);
    setPageHeaders(ctx);
    const view = LINK.test(link) ? await deps.sam.approvalView({ link }) : null;
    if (!view) {
      ctx.status = 404;
      ctx.body = notFound();
      return;
    }
    const url = `${deps.publicUrl}${APPROVAL_PREFIX}${link}`;
    const render = async (status: number, error?: string) => {
      if (view.state !== 'pending') {
        ctx.status = status;
        ctx.body = finalPage(view.state);
        return;
      }
      const csrf = newCsrfToken();
      // Secure whenever the public URL is https, also when TLS ends at a proxy in front (ctx.secure is then false).
      if (secure) ctx.cookies.secure = true;
      ctx.cookies.set(CSRF_COOKIE, csrf, { httpOnly: true, sameSite: 'strict', path: APPROVAL_PREFIX, overwrite: true, secure });
      ctx.status = status;
      ctx.body = await approvalForm(view, url, csrf, error);
    };

    if (ctx.method === 'GET' || ctx.method === 'HEAD') return render(200);
    if (ctx.method !== 'POST') {
      ctx.status = 405;
      ctx.set('Allow', 'GET, POST');
      ctx.body = page('Not allowed', '<p role="alert">Use the form.</p>');
      return;
    }
    const form = await readForm(ctx);
    if (!form || !csrfTokensMatch(ctx.cookies.get(CSRF_COOKIE), form.get('csrf'))) {
      ctx.status = 403;
      ctx.body = page('Request refused', '<p role="alert">The form has expired. Reload the page and try again.</p>');
      return;
    }
    const decision = form.get('decision');
    if (decision !== 'approve' && decision !== 'refuse') return render(400, 'Choose Approve or Refuse.');
    const rc = requestContextOf(ctx);
    const factors = decision === 'approve' ? { pin: form.get('pin') ?? '', otp: form.get('otp') ?? '' } : {};
    try {
      const { state } = await deps.sam.decideApproval({
        ctx: rc,
        link,
        approve: decision === 'approve',
        factors,
      });
      ctx.status = 200;
      ctx.body = finalPage(state);
    } catch (err) {
      if (!(err instanceof SamError)) {
        deps.log.error({ err, requestId: rc.requestId }, 'approval failed');
        ctx.status = 500;
        ctx.body = page('Something went wrong', '<p role="alert">The request could not be completed. Try again later.</p>');
        return;
      }
      if (err.code === 'SAM_APPROVAL_EXPIRED') view.state = 'expired';
      else if (err.code === 'SAM_APPROVAL_REFUSED') view.state = 'refused';
      else if (err.code === 'SAM_APPROVAL_UNKNOWN') view.state = (await deps.sam.approvalView({ link }))?.state ?? 'expired';
      await render(400, factorMessage(err));
    }
  };
}
