/**
 * One error type for the issuer, with a stable `code` (the jose convention):
 * callers and tests match on the code, never on the message text.
 */
export type IssuerErrorCode =
  | 'ERR_ISSUER_ALG_UNSUPPORTED'
  | 'ERR_ISSUER_KEY_INVALID'
  | 'ERR_ISSUER_CLAIM_INVALID'
  | 'ERR_ISSUER_OPTION_INVALID'
  | 'ERR_ISSUER_CBOR_UNSUPPORTED';

export class IssuerError extends Error {
  readonly code: IssuerErrorCode;

  constructor(code: IssuerErrorCode, message: string) {
    super(message);
    this.name = 'IssuerError';
    this.code = code;
  }
}
