// What every page reached by a link (activation, approval) does on the wire, once: the headers that keep a page
// whose secret is in its path out of caches, frames and Referers, and a bounded reader of its form.
import type Koa from 'koa';

/** Never cached, never framed, no Referer, no script or outside resource (inline styles and SVG only). Forms post
 *  to this page only, unless `formsRedirectOut`: the OAuth interaction's forms end in a redirect to the client's
 *  redirect_uri, which browsers check against form-action too. */
export function setPageHeaders(ctx: Koa.Context, opts: { formsRedirectOut?: boolean } = {}): void {
  const formAction = opts.formsRedirectOut ? '' : " form-action 'self';";
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Content-Security-Policy', `default-src 'none'; style-src 'unsafe-inline';${formAction} frame-ancestors 'none'; base-uri 'none'`);
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.type = 'text/html; charset=utf-8';
}

/** The largest form a page accepts (a PIN, a code and a CSRF token fit many times over). */
const MAX_FORM = 4096;

/** The posted form, or null when it is not urlencoded or larger than MAX_FORM. */
export async function readForm(ctx: Koa.Context): Promise<URLSearchParams | null> {
  if (!ctx.is('application/x-www-form-urlencoded')) return null;
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM) return null;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
