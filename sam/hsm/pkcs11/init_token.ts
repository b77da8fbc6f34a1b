// Initialises a token through PKCS#11 itself (C_InitToken, then C_InitPIN as the SO), for the development token
// of softhsm-config/. Doing it in-process rather than with softhsm2-util keeps the PINs off command lines (where
// `ps` shows them) and works with any module that has a free slot.
import type { Handle } from 'pkcs11js';
import { HsmError } from '../hsm.ts';
import { toHsmError } from './ckr.ts';
import { acquireModule, pkcs11js as P, releaseModule, type Pkcs11 } from './module.ts';

export type InitTokenResult = 'existing' | 'created' | 'pin-initialised';

/**
 * Makes sure a token labelled `label` exists with its user PIN set; idempotent. A token found with the label but
 * without a user PIN (a crash between the two steps) gets its PIN now.
 */
export async function initTokenIfAbsent(opts: { module: string; label: string; soPin: string; pin: string }): Promise<InitTokenResult> {
  if (Buffer.byteLength(opts.label) > 32) throw new HsmError('CKR_ARGUMENTS_BAD', 'token labels have at most 32 bytes');
  const p11 = acquireModule(opts.module);
  try {
    const existing = slotByLabel(p11, opts.label);
    if (existing) {
      if (p11.C_GetTokenInfo(existing).flags & P.CKF_USER_PIN_INITIALIZED) return 'existing';
      initUserPin(p11, existing, opts.soPin, opts.pin);
      return 'pin-initialised';
    }
    const free = p11.C_GetSlotList(true).find((s) => (p11.C_GetTokenInfo(s).flags & P.CKF_TOKEN_INITIALIZED) === 0);
    if (!free) throw new HsmError('CKR_TOKEN_NOT_PRESENT', `no free slot to initialise token "${opts.label}" in ${opts.module}`);
    p11.C_InitToken(free, opts.soPin, opts.label);
    // SoftHSM moves a freshly initialised token to a new slot id: look it up again.
    const slot = slotByLabel(p11, opts.label);
    if (!slot) throw new HsmError('CKR_TOKEN_NOT_RECOGNIZED', `token "${opts.label}" not found after C_InitToken`);
    initUserPin(p11, slot, opts.soPin, opts.pin);
    return 'created';
  } catch (err) {
    throw toHsmError(err);
  } finally {
    releaseModule(opts.module);
  }
}

function initUserPin(p11: Pkcs11, slot: Handle, soPin: string, pin: string): void {
  const s = p11.C_OpenSession(slot, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION);
  try {
    p11.C_Login(s, P.CKU_SO, soPin);
    p11.C_InitPIN(s, pin);
    p11.C_Logout(s);
  } finally {
    p11.C_CloseSession(s);
  }
}

function slotByLabel(p11: Pkcs11, label: string): Handle | undefined {
  return p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.replace(/[\s\0]+$/, '') === label);
}
