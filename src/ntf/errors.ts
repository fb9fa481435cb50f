/**
 * One error type for the ntf import, with a stable `code` (the jose
 * convention): callers and tests match on the code, never on the message
 * text. `line` is the 1-based line of the input the error is about, when
 * there is one; the message already names the entry and the field.
 */
export type NtfImportErrorCode =
  /** The text is not well-formed: an unterminated string, a missing comma, a stray character. */
  | 'ERR_NTF_SYNTAX'
  /** A value that is code, not data: a name, a call, an expression, an f-string. */
  | 'ERR_NTF_NOT_LITERAL'
  /** A field is missing, unknown, of the wrong type or out of range. */
  | 'ERR_NTF_FIELD'
  /** Two entries for one token type, or a modify / delete of an entry that does not exist. */
  | 'ERR_NTF_CONFLICT'
  /** A call the importer cannot read as one run: inside a block, an expression, or not a call. */
  | 'ERR_NTF_CONTEXT'
  /** Past a limit: input size, nesting depth, entries, or what one ntok configuration holds. */
  | 'ERR_NTF_LIMIT'
  /** Nothing to import. */
  | 'ERR_NTF_EMPTY';

export class NtfImportError extends Error {
  readonly code: NtfImportErrorCode;
  readonly line: number | undefined;

  constructor(code: NtfImportErrorCode, message: string, line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'NtfImportError';
    this.code = code;
    this.line = line;
  }
}
