/**
 * The 4-byte network-token header (draft-yiakoumis-network-tokens; see
 * ARCHITECTURE.md "Wire format"): big-endian u32, bits 31..28 reflect type,
 * bits 27..0 token descriptor id.
 */
import { IssuerError } from './errors.js';

export const MAX_DESCRIPTOR = 0x0fff_ffff;

/**
 * Reflect types 0..2 are defined (0 no reflection, 1 reflect at receiver,
 * 2 reflected); 3..15 are reserved and rejected by verifiers, and are
 * accepted here only so tests can build such headers.
 */
export function networkTokenHeader(reflect: number, descriptor: number): Uint8Array {
  if (!Number.isInteger(reflect) || reflect < 0 || reflect > 15) {
    throw new IssuerError('ERR_ISSUER_OPTION_INVALID', `reflect type must be 0..15 (4 bits), not ${reflect}`);
  }
  if (!Number.isInteger(descriptor) || descriptor < 0 || descriptor > MAX_DESCRIPTOR) {
    throw new IssuerError('ERR_ISSUER_OPTION_INVALID', `descriptor must be 0..0x0fffffff (28 bits), not ${descriptor}`);
  }
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, reflect * 2 ** 28 + descriptor);
  return out;
}
