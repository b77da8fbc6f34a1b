// The activation page (issue #14 finding 1, EN 419241-1 sole control): the person opens the single-use link the SAM
// sent them, chooses the PIN of their credentials (twice) and enrols their authenticator app by confirming a first
// code. Nothing is decided here: the SAM checks the link, the PIN's format and the code, stores the factors and spends
// the link in one transaction. This page only renders and forwards.
//
//   GET  /activate/<secret>   what is being activated, the TOTP seed (otpauth URI, base32 text, QR code), the form
//   POST /activate/<secret>   PIN, PIN again, first code
//
// A link that is unknown, used, spent by wrong codes or expired gets one message, whichever it is. POSTs are limited
// per source IP (fail closed: the page takes factors), on top of the SAM's durable count of wrong codes per link.
// The secret is in the path: the page is never cached, never framed, and sends no Referer.
import { requestContextOf } from '../../core/request_context.ts';
import type Koa from 'koa';
import QRCode from 'qrcode';
import type { Logger } from '../../core/log.ts';
import type { RateLimiter, RateRule } from '../../core/policy.ts';
import { SamError, type ActivationView, type RequestContext, type SignatureActivation } from '../../core/sam_port.ts';
import { readForm, setPageHeaders } from './page_http.ts';
import { csrfTokensMatch, esc, newCsrfToken, page } from './render.ts';

const ACTIVATION_PREFIX = '/activate/';
const CSRF_COOKIE = 'rssp_activation_csrf';
/** base64url of the SAM's 32 random bytes. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** Submissions per source IP and minute. Protects factors, so it fails closed when Redis is unreachable. */
const ACTIVATION_RATE: RateRule = { name: 'activation-ip', max: 10, windowSeconds: 60, protectsFactors: true };

const ACTIVATION_TEXTS = {
  title: 'Activate your signing credential',
  invalid: 'This activation link is not valid: it is unknown, has already been used, or has expired. Ask your administrator for a new one.',
  pinsDiffer: 'The two PINs are not the same.',
  pinFormat: 'The PIN must be 4 to 16 digits.',
  otpMissing: 'Enter the code your authenticator app shows.',
  otpWrong: 'The code from your authenticator app is wrong. Check that your phone shows the right time, and try again.',
  tooMany: 'Too many attempts from your network. Wait a minute and try again.',
  formExpired: 'The form has expired. Reload the page and try again.',
  done: 'Your PIN is set and your authenticator app is enrolled. You can now authorize signatures with them.',
  donePinOnly: 'Your PIN is set. You can now authorize signatures with it.',
} as const;

const message = (title: string, text: string, role: 'alert' | 'status') => page('en', title, `<h1>${esc(title)}</h1><p role="${role}">${esc(text)}</p>`);

async function form(view: ActivationView, action: string, csrf: string, error?: string): Promise<string> {
  const creds = view.credentials.map((c) => `<li><code>${esc(c.credentialID)}</code> (${esc(c.keyAlgo)})</li>`).join('');
  const described = error ? ' aria-describedby="form-error"' : '';
  const totp = view.totp
    ? `<h2>Authenticator app</h2>
<p>Add this account to your authenticator app: scan the QR code, or open the link, or type the secret by hand. It
replaces any authenticator enrolled for you before, for all your credentials.</p>
<div class="qr">${await QRCode.toString(view.totp.otpauthUri, { type: 'svg', margin: 1 })}</div>
<dl><dt>Secret</dt><dd><code id="totp-secret">${esc(view.totp.secret)}</code></dd>
<dt>Link</dt><dd><code id="totp-uri">${esc(view.totp.otpauthUri)}</code></dd></dl>`
    : '';
  return page(
    'en',
    ACTIVATION_TEXTS.title,
    `<h1>${esc(ACTIVATION_TEXTS.title)}</h1>
<p>Account <strong>${esc(view.accountName)}</strong>. Choose the PIN you will type to authorize signatures with:</p>
<ul>${creds}</ul>
<p>This link works once, until ${esc(view.expiresAt)}. Nobody else knows the PIN you choose here, your administrator included.</p>
${totp}
${error ? `<p role="alert" id="form-error">${esc(error)}</p>` : ''}
<form method="post" action="${esc(action)}" autocomplete="off">
<input type="hidden" name="csrf" value="${esc(csrf)}">
<label for="pin">New PIN</label>
<input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="new-password" required${described}>
<label for="pin2">Repeat the PIN</label>
<input id="pin2" name="pin2" type="password" inputmode="numeric" autocomplete="new-password" required${described}>
${view.totp ? `<label for="otp">Code from your authenticator app</label>
<input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" required${described}>` : ''}
<button type="submit">Activate</button>
</form>`,
  );
}

export function activationPages(deps: { sam: SignatureActivation; log: Logger; publicUrl: string; limiter: RateLimiter }): Koa.Middleware {
  const secure = deps.publicUrl.startsWith('https://');
  return async (ctx, next) => {
    if (!ctx.path.startsWith(ACTIVATION_PREFIX)) return next();
    setPageHeaders(ctx);
    const token = ctx.path.slice(ACTIVATION_PREFIX.length);
    const invalid = () => {
      ctx.status = 404;
      ctx.body = message('Activation link not valid', ACTIVATION_TEXTS.invalid, 'alert');
    };
    try {
      if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && ctx.method !== 'POST') {
        ctx.status = 405;
        ctx.set('Allow', 'GET, POST');
        ctx.body = message('Not allowed', 'Use the form.', 'alert');
        return;
      }
      if (!TOKEN.test(token)) return invalid();
      const render = async (status: number, error?: string) => {
        const view = await deps.sam.activationView({ token });
        if (!view) return invalid();
        const csrf = newCsrfToken();
        // Secure whenever the public URL is https, also when TLS ends at a proxy in front (ctx.secure is then false).
        if (secure) ctx.cookies.secure = true;
        ctx.cookies.set(CSRF_COOKIE, csrf, { httpOnly: true, sameSite: 'strict', path: ACTIVATION_PREFIX, overwrite: true, secure });
        ctx.status = status;
        ctx.body = await form(view, `${ACTIVATION_PREFIX}${token}`, csrf, error);
      };
      if (ctx.method !== 'POST') return await render(200);

      try {
        await deps.limiter.hit(ACTIVATION_RATE, `activation:${ctx.ip}`);
      } catch (err) {
        const code = (err as { code?: string }).code;
        ctx.status = code === 'rateLimited' ? 429 : 503;
        const retry = (err as { headers?: Record<string, string> }).headers?.['Retry-After'];
        if (retry) ctx.set('Retry-After', retry);
        ctx.body = message('Try again later', code === 'rateLimited' ? ACTIVATION_TEXTS.tooMany : 'The service is temporarily unavailable; try again shortly.', 'alert');
        return;
      }
      const f = await readForm(ctx);
      if (!f || !csrfTokensMatch(ctx.cookies.get(CSRF_COOKIE), f.get('csrf'))) {
        ctx.status = 403;
        ctx.body = message('Request refused', ACTIVATION_TEXTS.formExpired, 'alert');
        return;
      }
      const pin = f.get('pin') ?? '';
      if (pin !== (f.get('pin2') ?? '')) return await render(400, ACTIVATION_TEXTS.pinsDiffer);
      const rc: RequestContext = requestContextOf(ctx);
      let result: { credentialIDs: string[]; otpEnrolled: boolean };
      try {
        result = await deps.sam.redeemActivation({ ctx: rc, token, pin, otp: f.get('otp') || undefined });
      } catch (err) {
        if (!(err instanceof SamError || (err as Error)?.name === 'SamError')) throw err;
        switch ((err as SamError).code) {
          case 'SAM_ACTIVATION_INVALID':
            return invalid();
          case 'SAM_PIN_FORMAT':
            return await render(400, ACTIVATION_TEXTS.pinFormat);
          case 'SAM_FACTORS_MISSING':
            return await render(400, ACTIVATION_TEXTS.otpMissing);
          case 'SAM_OTP_INVALID':
            return await render(400, ACTIVATION_TEXTS.otpWrong);
          default:
            throw err;
        }
      }
      ctx.cookies.set(CSRF_COOKIE, null, { path: ACTIVATION_PREFIX });
      ctx.status = 200;
      ctx.body = message('Activation complete', result.otpEnrolled ? ACTIVATION_TEXTS.done : ACTIVATION_TEXTS.donePinOnly, 'status');
    } catch (err) {
      deps.log.error({ event: 'activation.page', err: { name: (err as Error)?.name, code: (err as { code?: string })?.code, message: (err as Error)?.message } }, 'activation page failed');
      const unavailable = ['SAM_HSM_UNAVAILABLE', 'SAM_STORE_UNAVAILABLE'].includes((err as { code?: string })?.code ?? '');
      ctx.status = unavailable ? 503 : 500;
      ctx.body = message('Something went wrong', 'The activation could not be completed. Try again later.', 'alert');
    }
  };
}
