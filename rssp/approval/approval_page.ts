// The approval page of asynchronous authorization (CSC v2 §8.3.1.1 out-of-band response, §11.7): the person opens
// the link they were sent, sees what the application asks to sign, and approves with their factors (PIN and
// one-time password) or refuses. Server-rendered HTML forms, no script. The page shows the link as a QR code
// too, so that it can be opened on a phone.
//
// CSRF: the form carries a random token that must equal the one in a SameSite=Strict, HttpOnly cookie set with
// the page (double submit), so another site cannot post a decision in the person's browser. The link's secret is
// in the path: the page is never cached, never framed, and sends no Referer.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import QRCode from 'qrcode';
import type { Logger } from '../../core/log.ts';
import { SamError, type ApprovalView, type SignatureActivation } from '../../core/sam_port.ts';

export const APPROVAL_PREFIX = '/approve/';
const CSRF_COOKIE = 'rssp_approval_csrf';
const LINK = /^[A-Za-z0-9_-]{20,128}$/;
const MAX_FORM = 4096;

const esc = (s: unknown): string =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#111}' +
  'label{display:block;margin-top:1rem;font-weight:600}input{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box}' +
  'button{font-size:1rem;padding:.5rem 1.2rem;margin:1.2rem .6rem 0 0}[role=alert]{color:#a00;font-weight:600}' +
  'code{word-break:break-all;font-size:.85rem}dt{font-weight:600}dd{margin:0 0 .5rem 0}.qr svg{width:10rem;height:10rem}';

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${esc(title)}</title><style>${STYLE}</style></head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

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

async function readForm(ctx: Koa.Context): Promise<URLSearchParams | null> {
  if (!(ctx.get('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) return null;
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM) return null;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sameToken(a: string | undefined, b: string | null): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function approvalPages(deps: { sam: SignatureActivation; log: Logger; publicUrl: string }): Koa.Middleware {
  const secure = deps.publicUrl.startsWith('https://');
  return async (ctx, next) => {
    if (!ctx.path.startsWith(APPROVAL_PREFIX)) return next();
    const link = ctx.path.slice(APPROVAL_PREFIX.length);
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    ctx.type = 'text/html; charset=utf-8';
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
      const csrf = randomBytes(24).toString('base64url');
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
    if (!form || !sameToken(ctx.cookies.get(CSRF_COOKIE), form.get('csrf'))) {
      ctx.status = 403;
      ctx.body = page('Request refused', '<p role="alert">The form has expired. Reload the page and try again.</p>');
      return;
    }
    const decision = form.get('decision');
    if (decision !== 'approve' && decision !== 'refuse') return render(400, 'Choose Approve or Refuse.');
    const requestId = randomBytes(8).toString('hex');
    const factors = decision === 'approve' ? { pin: form.get('pin') ?? '', otp: form.get('otp') ?? '' } : {};
    try {
      const { state } = await deps.sam.decideApproval({
        ctx: { requestId, sourceIp: ctx.ip, userAgent: ctx.get('user-agent') || undefined },
        link,
        approve: decision === 'approve',
        factors,
      });
      ctx.status = 200;
      ctx.body = finalPage(state);
    } catch (err) {
      if (!(err instanceof SamError)) {
        deps.log.error({ err, requestId }, 'approval failed');
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
