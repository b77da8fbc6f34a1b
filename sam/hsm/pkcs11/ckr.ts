// PKCS#11 failures keep their CK_RV name (PKCS#11 v2.40 Base §3.6), so that logs and the SAM's error mapping can
// tell a wrong PIN from a dead device. pkcs11js puts the name in the message ("CKR_PIN_INCORRECT") and the number
// in `code`; the table covers the values that matter when only the number is known. This file does not import
// pkcs11js so that it can be unit-tested without the native module.
import { HsmError } from '../hsm.ts';

const CKR_NAMES: Readonly<Record<number, string>> = {
  0x001: 'CKR_CANCEL',
  0x002: 'CKR_HOST_MEMORY',
  0x003: 'CKR_SLOT_ID_INVALID',
  0x005: 'CKR_GENERAL_ERROR',
  0x006: 'CKR_FUNCTION_FAILED',
  0x007: 'CKR_ARGUMENTS_BAD',
  0x010: 'CKR_ATTRIBUTE_READ_ONLY',
  0x011: 'CKR_ATTRIBUTE_SENSITIVE',
  0x012: 'CKR_ATTRIBUTE_TYPE_INVALID',
  0x013: 'CKR_ATTRIBUTE_VALUE_INVALID',
  0x020: 'CKR_DATA_INVALID',
  0x021: 'CKR_DATA_LEN_RANGE',
  0x030: 'CKR_DEVICE_ERROR',
  0x031: 'CKR_DEVICE_MEMORY',
  0x032: 'CKR_DEVICE_REMOVED',
  0x040: 'CKR_ENCRYPTED_DATA_INVALID',
  0x041: 'CKR_ENCRYPTED_DATA_LEN_RANGE',
  0x050: 'CKR_FUNCTION_CANCELED',
  0x054: 'CKR_FUNCTION_NOT_SUPPORTED',
  0x060: 'CKR_KEY_HANDLE_INVALID',
  0x062: 'CKR_KEY_SIZE_RANGE',
  0x063: 'CKR_KEY_TYPE_INCONSISTENT',
  0x068: 'CKR_KEY_FUNCTION_NOT_PERMITTED',
  0x06a: 'CKR_KEY_UNEXTRACTABLE',
  0x070: 'CKR_MECHANISM_INVALID',
  0x071: 'CKR_MECHANISM_PARAM_INVALID',
  0x082: 'CKR_OBJECT_HANDLE_INVALID',
  0x090: 'CKR_OPERATION_ACTIVE',
  0x091: 'CKR_OPERATION_NOT_INITIALIZED',
  0x0a0: 'CKR_PIN_INCORRECT',
  0x0a1: 'CKR_PIN_INVALID',
  0x0a2: 'CKR_PIN_LEN_RANGE',
  0x0a3: 'CKR_PIN_EXPIRED',
  0x0a4: 'CKR_PIN_LOCKED',
  0x0b0: 'CKR_SESSION_CLOSED',
  0x0b1: 'CKR_SESSION_COUNT',
  0x0b3: 'CKR_SESSION_HANDLE_INVALID',
  0x0b5: 'CKR_SESSION_READ_ONLY',
  0x0b6: 'CKR_SESSION_EXISTS',
  0x0c0: 'CKR_SIGNATURE_INVALID',
  0x0c1: 'CKR_SIGNATURE_LEN_RANGE',
  0x0d0: 'CKR_TEMPLATE_INCOMPLETE',
  0x0d1: 'CKR_TEMPLATE_INCONSISTENT',
  0x0e0: 'CKR_TOKEN_NOT_PRESENT',
  0x0e1: 'CKR_TOKEN_NOT_RECOGNIZED',
  0x0e2: 'CKR_TOKEN_WRITE_PROTECTED',
  0x100: 'CKR_USER_ALREADY_LOGGED_IN',
  0x101: 'CKR_USER_NOT_LOGGED_IN',
  0x102: 'CKR_USER_PIN_NOT_INITIALIZED',
  0x103: 'CKR_USER_TYPE_INVALID',
  0x104: 'CKR_USER_ANOTHER_ALREADY_LOGGED_IN',
  0x105: 'CKR_USER_TOO_MANY_TYPES',
  0x121: 'CKR_RANDOM_NO_RNG',
  0x130: 'CKR_DOMAIN_PARAMS_INVALID',
  0x140: 'CKR_CURVE_NOT_SUPPORTED',
  0x150: 'CKR_BUFFER_TOO_SMALL',
  0x190: 'CKR_CRYPTOKI_NOT_INITIALIZED',
  0x191: 'CKR_CRYPTOKI_ALREADY_INITIALIZED',
  0x200: 'CKR_FUNCTION_REJECTED',
};

/** The session (or the login behind it) is gone but the token may well be fine: open a new one and retry. */
const SESSION_LOST = new Set([
  'CKR_SESSION_HANDLE_INVALID',
  'CKR_SESSION_CLOSED',
  'CKR_USER_NOT_LOGGED_IN',
  'CKR_DEVICE_REMOVED',
  'CKR_TOKEN_NOT_PRESENT',
  // A session left with an operation half done (a crash between C_SignInit and C_Sign) is unusable; a fresh one
  // is cheaper than guessing which operation to cancel.
  'CKR_OPERATION_ACTIVE',
]);

/** A cached object handle went stale (token re-inserted, logout): look the object up again and retry. */
const HANDLE_STALE = new Set(['CKR_OBJECT_HANDLE_INVALID', 'CKR_KEY_HANDLE_INVALID']);

/** Name of a numeric CK_RV; vendor or unknown values keep their hex form so they remain searchable. */
export function ckrName(code: number): string {
  return CKR_NAMES[code] ?? `CKR_0x${code.toString(16).padStart(8, '0')}`;
}

/** Any failure of a PKCS#11 call → HsmError carrying the CKR_* name. Never includes call arguments (PINs). */
export function toHsmError(err: unknown): HsmError {
  if (err instanceof HsmError) return err;
  if (err instanceof Error) {
    const named = /^(CKR_[A-Z0-9_]+)/.exec(err.message);
    if (named) return new HsmError(named[1]!, undefined, { cause: err });
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'number' && code > 0) return new HsmError(ckrName(code), undefined, { cause: err });
    // pkcs11js raises NativeError/TypeError for bad arguments or a library that failed to load.
    return new HsmError('CKR_GENERAL_ERROR', err.message, { cause: err });
  }
  return new HsmError('CKR_GENERAL_ERROR', String(err));
}

export type Recovery = 'reopen-session' | 'refresh-handles' | null;

/** What to do before the single retry of an operation that failed with `err`. */
export function recoveryFor(err: HsmError): Recovery {
  if (SESSION_LOST.has(err.ckr)) return 'reopen-session';
  if (HANDLE_STALE.has(err.ckr)) return 'refresh-handles';
  return null;
}
