/**
 * Typed errors of the VRRP layer, with stable codes tests and counters check instead of messages.
 */
import { LvsError } from '../core/errors.js';

/** Stable codes of {@link VrrpError}. */
export const VRRP_ERR = {
  /** Fewer bytes than the fixed header, the addresses and (v2) the authentication data need. */
  TRUNCATED: 'VRRP_TRUNCATED',
  /** A version nibble other than 2 or 3 (RFC 3768 §5.3.1, RFC 5798 §5.2.1). */
  BAD_VERSION: 'VRRP_BAD_VERSION',
  /** VRRPv2 over IPv6, which RFC 3768 does not define. */
  BAD_FAMILY: 'VRRP_BAD_FAMILY',
  /** A field value the encoder cannot put on the wire (e.g. an interval over 12 bits). */
  BAD_VALUE: 'VRRP_BAD_VALUE',
  /** An encoder was given a buffer too small for the advert. */
  NO_SPACE: 'VRRP_NO_SPACE',
  /** A configuration the VRRP layer cannot run (e.g. no virtual_router_id). */
  BAD_CONFIG: 'VRRP_BAD_CONFIG',
} as const;

/** A code of {@link VrrpError}. */
export type VrrpErrorCode = (typeof VRRP_ERR)[keyof typeof VRRP_ERR];

/** The only error the VRRP codec and binder throw. */
export class VrrpError extends LvsError {
  constructor(code: VrrpErrorCode, message: string) {
    super(code, message);
    this.name = 'VrrpError';
  }
}
