import { describe, expect, it } from 'vitest';
import { HsmError } from '../../../sam/hsm/hsm.ts';
import { ckrName, recoveryFor, toHsmError } from '../../../sam/hsm/pkcs11/ckr.ts';

/** The shape pkcs11js gives its Pkcs11Error: message is the CKR name, code the number. */
function pkcs11Error(message: string, code: number): Error {
  return Object.assign(new Error(message), { name: 'Pkcs11Error', code });
}

describe('toHsmError', () => {
  it('keeps the CKR_* name from the message', () => {
    const err = toHsmError(pkcs11Error('CKR_PIN_INCORRECT', 0xa0));
    expect(err).toBeInstanceOf(HsmError);
    expect(err.ckr).toBe('CKR_PIN_INCORRECT');
    expect(err.message).toBe('CKR_PIN_INCORRECT');
  });

  it('names a bare numeric code from the table, and unknown codes in hex', () => {
    expect(toHsmError(pkcs11Error('', 0xb3)).ckr).toBe('CKR_SESSION_HANDLE_INVALID');
    expect(toHsmError(pkcs11Error('failed', 0x80000123)).ckr).toBe('CKR_0x80000123');
    expect(ckrName(0x11)).toBe('CKR_ATTRIBUTE_SENSITIVE');
  });

  it('turns native errors into CKR_GENERAL_ERROR with their message, and passes HsmError through', () => {
    const native = toHsmError(new TypeError('Parameter 1 MUST be Buffer'));
    expect(native.ckr).toBe('CKR_GENERAL_ERROR');
    expect(native.message).toBe('CKR_GENERAL_ERROR: Parameter 1 MUST be Buffer');
    const own = new HsmError('CKR_DATA_LEN_RANGE');
    expect(toHsmError(own)).toBe(own);
  });
});

describe('recoveryFor', () => {
  it.each([
    ['CKR_SESSION_HANDLE_INVALID', 'reopen-session'],
    ['CKR_SESSION_CLOSED', 'reopen-session'],
    ['CKR_USER_NOT_LOGGED_IN', 'reopen-session'],
    ['CKR_DEVICE_REMOVED', 'reopen-session'],
    ['CKR_OPERATION_ACTIVE', 'reopen-session'],
    ['CKR_OBJECT_HANDLE_INVALID', 'refresh-handles'],
    ['CKR_KEY_HANDLE_INVALID', 'refresh-handles'],
    ['CKR_PIN_INCORRECT', null],
    ['CKR_SIGNATURE_INVALID', null],
    ['CKR_DEVICE_ERROR', null],
  ])('%s → %s', (ckr, expected) => {
    expect(recoveryFor(new HsmError(ckr))).toBe(expected);
  });
});
