/**
 * The one error the packet layer throws. It lives here, beside the codecs that throw it, so that
 * `packet` needs nothing from `core` but the base class and `core` never imports `packet`.
 */
import { LvsError } from '../core/errors.js';

/** A malformed or truncated packet. Decoders throw it; the engine turns it into a counted drop. */
export class PacketError extends LvsError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'PacketError';
  }
}
