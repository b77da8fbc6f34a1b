// HTTP Basic credentials of auth/login (CSC v2 §11.2, RFC 7617). The error wording is that of the §11.2 table.
import { CscError } from '../../../core/errors.ts';
import { decodeBase64 } from '../../../core/base64.ts';

const BASIC = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i;
const CHALLENGE = { 'WWW-Authenticate': 'Basic realm="CSC", charset="UTF-8"' };

export function isBasicHeader(header: string): boolean {
  return /^basic(\s|$)/i.test(header);
}

/** "Basic base64(user:password)" → its parts; 401 when the header is not of that form, 400 when the decoded
 *  value is not "username:password". */
export function parseBasicCredentials(header: string): { username: string; password: string } {
  const match = BASIC.exec(header);
  const bytes = match ? decodeBase64(match[1]!) : null;
  if (!bytes) throw new CscError('malformedAuthentication', { headers: CHALLENGE });
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CscError('malformedUsernamePassword');
  }
  // RFC 7617 §2: the user-id cannot contain a colon, the password may.
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new CscError('malformedUsernamePassword');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function missingBasicCredentials(): CscError {
  return new CscError('malformedAuthentication', { headers: CHALLENGE });
}
