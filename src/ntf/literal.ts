/**
 * A strict reader of literal values, in two dialects: Python literals (what
 * a bessctl script passes to a module command: strings in either quote
 * style with their escapes, adjacent strings joined, ints in every base,
 * True / False / None, lists, tuples, dicts) and JSON (RFC 8259). It reads
 * data and never runs anything: a name, a call, an operator or an f-string
 * is refused with the line it is on, so the configuration an operator
 * imports is exactly what the file says, whatever code surrounds it.
 *
 * Integers are bigint (blacklisted token ids are uint64); a number with a
 * fraction or an exponent is kept as text ('float') for the caller to
 * refuse where it wants an integer. Dict keys must be strings and appear
 * once (Python and JSON.parse would keep the last silently; an operator's
 * repeated key is a mistake worth naming).
 */
import { NtfImportError } from './errors.js';

export type Dialect = 'python' | 'json';

/** Nesting the reader follows before it gives up (the control API needs 3). */
export const MAX_DEPTH = 32;

export type Literal = StrLit | IntLit | FloatLit | BoolLit | NoneLit | ListLit | DictLit;

export interface StrLit {
  kind: 'str';
  value: string;
  line: number;
}
export interface IntLit {
  kind: 'int';
  value: bigint;
  line: number;
}
export interface FloatLit {
  kind: 'float';
  text: string;
  line: number;
}
export interface BoolLit {
  kind: 'bool';
  value: boolean;
  line: number;
}
/** Python None, JSON null. */
export interface NoneLit {
  kind: 'none';
  line: number;
}
export interface ListLit {
  kind: 'list';
  items: Literal[];
  /** A Python tuple rather than a list. */
  tuple: boolean;
  line: number;
}
export interface DictMember {
  key: string;
  keyLine: number;
  value: Literal;
}
export interface DictLit {
  kind: 'dict';
  members: DictMember[];
  line: number;
}

/** What a literal is, for messages: "a string", "the integer 7". */
export function describe(v: Literal): string {
  switch (v.kind) {
    case 'str': return 'a string';
    case 'int': return `the integer ${v.value}`;
    case 'float': return `the number ${v.text} (not an integer)`;
    case 'bool': return v.value ? 'True' : 'False';
    case 'none': return 'None (null)';
    case 'list': return v.tuple ? 'a tuple' : 'a list';
    case 'dict': return 'a dict';
  }
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const OPERATOR = /[-+*/%|&^~<>@.=!:$]/;
/** Python escapes of one character (str literals, Python 3 lexical analysis §2.4.1). */
const PY_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};
/** RFC 8259 §7. */
const JSON_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** 1-based line of each offset, by binary search over the line starts. */
export class LineMap {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  line(pos: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  column(pos: number): number {
    return pos - this.starts[this.line(pos) - 1];
  }
}

export class LiteralReader {
  pos: number;
  readonly lines: LineMap;

  constructor(readonly text: string, readonly dialect: Dialect, start = 0, lines?: LineMap) {
    this.pos = start;
    this.lines = lines ?? new LineMap(text);
  }

  line(pos = this.pos): number {
    return this.lines.line(pos);
  }

  peek(offset = 0): string {
    return this.text[this.pos + offset] ?? '';
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  fail(code: 'ERR_NTF_SYNTAX' | 'ERR_NTF_NOT_LITERAL' | 'ERR_NTF_FIELD' | 'ERR_NTF_LIMIT', message: string, pos = this.pos): never {
    throw new NtfImportError(code, message, this.line(pos));
  }

  /**
   * Skips blanks. Every value this reader meets is inside brackets (call
   * arguments, a JSON document), where Python ignores newlines too; Python
   * also has comments and backslash continuations.
   */
  skip(): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos++;
      else if (this.dialect === 'python' && c === '\f') this.pos++;
      else if (this.dialect === 'python' && c === '#') {
        const nl = this.text.indexOf('\n', this.pos);
        this.pos = nl < 0 ? this.text.length : nl;
      } else if (this.dialect === 'python' && c === '\\' && (this.peek(1) === '\n' || (this.peek(1) === '\r' && this.peek(2) === '\n'))) {
        this.pos += this.peek(1) === '\n' ? 2 : 3;
      } else return;
    }
  }

  /** Something that is not where a value or a punctuation mark should be, in words. */
  found(): string {
    if (this.atEnd()) return 'the end of the input';
    const c = this.peek();
    return c === '\n' ? 'the end of the line' : JSON.stringify(c);
  }

  /** The error for a character where `expected` should be: an operator means an expression. */
  unexpected(expected: string): never {
    const c = this.peek();
    if (c !== '' && OPERATOR.test(c) && !(this.dialect === 'json' && c === ':')) {
      this.fail('ERR_NTF_NOT_LITERAL', `expected ${expected}, found ${this.found()}: an expression, and ntok reads literal values only (it runs nothing)`);
    }
    this.fail('ERR_NTF_SYNTAX', `expected ${expected}, found ${this.found()}`);
  }

  value(depth = 0): Literal {
    if (depth > MAX_DEPTH) this.fail('ERR_NTF_LIMIT', `values nested deeper than ${MAX_DEPTH} levels`);
    this.skip();
    const c = this.peek();
    const start = this.pos;
    if (c === '"' || (c === "'" && this.dialect === 'python')) return this.strings();
    if (c === '{') return this.dict(depth);
    if (c === '[') return this.list(']', depth);
    if (c === '(' && this.dialect === 'python') return this.parenthesized(depth);
    if (c === '-' || (c === '+' && this.dialect === 'python')) {
      this.pos++;
      if (this.dialect === 'python') this.skip();
      if (!/[0-9.]/.test(this.peek())) this.fail('ERR_NTF_NOT_LITERAL', `${c} applied to ${this.found()}: an expression, and ntok reads literal values only`);
      const n = this.number();
      if (n.kind === 'int') return { kind: 'int', value: c === '-' ? -n.value : n.value, line: this.line(start) };
      return { kind: 'float', text: c + n.text, line: this.line(start) };
    }
    if (/[0-9]/.test(c) || (c === '.' && this.dialect === 'python' && /[0-9]/.test(this.peek(1)))) return this.number();
    if (IDENT_START.test(c)) {
      if (this.dialect === 'python' && this.stringPrefixAhead()) return this.strings();
      return this.word();
    }
    if (c === "'") this.fail('ERR_NTF_SYNTAX', "JSON strings take double quotes (found ')");
    this.unexpected('a value');
  }

  /** An identifier followed by a quote: a Python string prefix (r, u, b, f, and pairs). */
  private stringPrefixAhead(): boolean {
    let i = 0;
    while (IDENT_PART.test(this.peek(i))) i++;
    const q = this.peek(i);
    return i <= 2 && (q === "'" || q === '"') && /^[rRuUbBfF]+$/.test(this.text.slice(this.pos, this.pos + i));
  }

  /** One string, or (Python) adjacent string literals, which the language joins. */
  private strings(): StrLit {
    const line = this.line();
    let value = this.string();
    if (this.dialect === 'python') {
      for (;;) {
        const save = this.pos;
        this.skip();
        const c = this.peek();
        if (c === '"' || c === "'" || (IDENT_START.test(c) && this.stringPrefixAhead())) value += this.string();
        else {
          this.pos = save;
          break;
        }
      }
    }
    return { kind: 'str', value, line };
  }

  private string(): string {
    const start = this.pos;
    let prefix = '';
    while (IDENT_PART.test(this.peek())) prefix += this.text[this.pos++];
    const lower = prefix.toLowerCase();
    if (lower.includes('f')) this.fail('ERR_NTF_NOT_LITERAL', 'an f-string runs the code in its braces: ntok reads literal values only', start);
    if (lower.includes('b')) this.fail('ERR_NTF_FIELD', 'a bytes literal (b\'...\'): the control API takes str here', start);
    if (!['', 'r', 'u'].includes(lower)) this.fail('ERR_NTF_SYNTAX', `${JSON.stringify(prefix)} is not a string prefix`, start);
    const raw = lower === 'r';
    const q = this.text[this.pos];
    const triple = this.dialect === 'python' && this.peek(1) === q && this.peek(2) === q;
    this.pos += triple ? 3 : 1;
    let out = '';
    for (;;) {
      if (this.atEnd()) this.fail('ERR_NTF_SYNTAX', 'unterminated string: the input ends before its closing quote', start);
      const c = this.text[this.pos];
      if (c === q && (!triple || (this.peek(1) === q && this.peek(2) === q))) {
        this.pos += triple ? 3 : 1;
        return out;
      }
      if (c === '\n' && !triple) {
        this.fail('ERR_NTF_SYNTAX', 'unterminated string: the line ends before its closing quote', start);
      }
      if (this.dialect === 'json' && c < ' ') this.fail('ERR_NTF_SYNTAX', `a control character (U+${c.charCodeAt(0).toString(16).padStart(4, '0')}) in a JSON string must be escaped`);
      if (c !== '\\') {
        out += c;
        this.pos++;
        continue;
      }
      out += this.dialect === 'json' ? this.jsonEscape() : raw ? this.rawEscape() : this.pythonEscape();
    }
  }

  /** In a raw string a backslash stays, and keeps the next character (a quote, a newline) from ending anything. */
  private rawEscape(): string {
    const next = this.peek(1);
    if (next === '') this.fail('ERR_NTF_SYNTAX', 'unterminated string: the input ends after a backslash');
    this.pos += 2;
    return '\\' + next;
  }

  private hexDigits(n: number, what: string): number {
    const digits = this.text.slice(this.pos, this.pos + n);
    if (digits.length !== n || !/^[0-9a-fA-F]+$/.test(digits)) this.fail('ERR_NTF_SYNTAX', `${what} needs ${n} hex digits`);
    this.pos += n;
    return parseInt(digits, 16);
  }

  private pythonEscape(): string {
    const at = this.pos;
    this.pos++; // the backslash
    const c = this.peek();
    if (c === '') this.fail('ERR_NTF_SYNTAX', 'unterminated string: the input ends after a backslash');
    if (c === '\n') {
      this.pos++;
      return '';
    }
    if (c === '\r' && this.peek(1) === '\n') {
      this.pos += 2;
      return '';
    }
    if (PY_ESCAPES[c] !== undefined) {
      this.pos++;
      return PY_ESCAPES[c];
    }
    if (/[0-7]/.test(c)) {
      let digits = '';
      while (digits.length < 3 && /[0-7]/.test(this.peek())) digits += this.text[this.pos++];
      return String.fromCharCode(parseInt(digits, 8));
    }
    if (c === 'x' || c === 'u' || c === 'U') {
      this.pos++;
      const cp = this.hexDigits(c === 'x' ? 2 : c === 'u' ? 4 : 8, `\\${c}`);
      if (cp > 0x10ffff) this.fail('ERR_NTF_SYNTAX', `\\${c} escape beyond U+10FFFF`, at);
      return String.fromCodePoint(cp);
    }
    if (c === 'N') this.fail('ERR_NTF_SYNTAX', 'a \\N{name} escape: write the character itself or \\u', at);
    // Python keeps an unknown escape as written (with a warning).
    this.pos++;
    return '\\' + c;
  }

  private jsonEscape(): string {
    const at = this.pos;
    this.pos++;
    const c = this.peek();
    if (JSON_ESCAPES[c] !== undefined) {
      this.pos++;
      return JSON_ESCAPES[c];
    }
    if (c === 'u') {
      this.pos++;
      return String.fromCharCode(this.hexDigits(4, '\\u'));
    }
    this.fail('ERR_NTF_SYNTAX', `${c === '' ? 'the input ends after a backslash' : `\\${c} is not a JSON escape`}`, at);
  }

  private number(): IntLit | FloatLit {
    const start = this.pos;
    const line = this.line();
    let m: RegExpExecArray | null;
    const rest = this.text.slice(start, start + 4096);
    if (this.dialect === 'json') {
      m = /^(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(rest);
      if (!m) this.fail('ERR_NTF_SYNTAX', 'a malformed JSON number');
      this.pos += m[0].length;
      if (IDENT_PART.test(this.peek()) || this.peek() === '.') this.fail('ERR_NTF_SYNTAX', `a malformed number ${JSON.stringify(rest.slice(0, m[0].length + 1))}`, start);
      if (m[2] !== undefined || m[3] !== undefined) return { kind: 'float', text: m[0], line };
      return { kind: 'int', value: BigInt(m[0]), line };
    }
    // Python 3 (lexical analysis §2.4.5–2.4.6): underscores only between digits.
    m = /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|[1-9](?:_?[0-9])*|0(?:_?0)*)(?![0-9A-Za-z_.])/.exec(rest);
    if (m) {
      this.pos += m[0].length;
      const digits = m[0].replace(/_/g, '');
      const value = /^0[oO]/.test(digits) ? BigInt('0o' + digits.slice(2)) : BigInt(digits);
      return { kind: 'int', value, line };
    }
    m = /^(?:[0-9](?:_?[0-9])*)?(?:\.(?:[0-9](?:_?[0-9])*)?)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?[jJ]?/.exec(rest);
    if (m && m[0].length > 0 && /[.eEjJ]/.test(m[0]) && !IDENT_PART.test(rest[m[0].length] ?? '')) {
      this.pos += m[0].length;
      if (/[jJ]$/.test(m[0])) this.fail('ERR_NTF_FIELD', `${m[0]} is a complex number`, start);
      return { kind: 'float', text: m[0], line };
    }
    const token = /^[0-9A-Za-z_.]*/.exec(rest)![0];
    this.fail('ERR_NTF_SYNTAX', `${JSON.stringify(token)} is not a number${/^0[0-9]/.test(token) ? ' (Python 3 writes octal as 0o...)' : ''}`, start);
  }

  private word(): BoolLit | NoneLit {
    const start = this.pos;
    const line = this.line();
    let name = '';
    while (IDENT_PART.test(this.peek())) name += this.text[this.pos++];
    const words: Record<string, boolean | null> = this.dialect === 'python'
      ? { True: true, False: false, None: null }
      : { true: true, false: false, null: null };
    if (Object.hasOwn(words, name)) {
      const v = words[name];
      return v === null ? { kind: 'none', line } : { kind: 'bool', value: v, line };
    }
    if (this.dialect === 'json') this.fail('ERR_NTF_SYNTAX', `${JSON.stringify(name)} is not JSON (true, false, null, numbers, strings, arrays, objects)`, start);
    const save = this.pos;
    this.skip();
    const next = this.peek();
    this.pos = save;
    const what = next === '(' ? `${name}(...) is a call` : next === '.' ? `${name}.… is an attribute of a name` : next === '[' ? `${name}[...] indexes a name` : `${name} is a name`;
    this.fail('ERR_NTF_NOT_LITERAL', `${what}, not a literal: ntok reads the script as data and runs none of it (write the value itself)`, start);
  }

  /** Items up to `close`, comma-separated; Python allows a trailing comma, JSON does not. */
  private items(close: string, depth: number): Literal[] {
    const items: Literal[] = [];
    this.skip();
    if (this.peek() === close) {
      this.pos++;
      return items;
    }
    for (;;) {
      items.push(this.value(depth + 1));
      this.skip();
      if (this.peek() === close) {
        this.pos++;
        return items;
      }
      if (this.peek() !== ',') this.unexpected(`"," or "${close}"`);
      this.pos++;
      this.skip();
      if (this.peek() === close && this.dialect === 'python') {
        this.pos++;
        return items;
      }
    }
  }

  private list(close: string, depth: number): ListLit {
    const line = this.line();
    this.pos++;
    return { kind: 'list', items: this.items(close, depth), tuple: false, line };
  }

  /** (value) is the value; (), (value,) and (a, b) are tuples. */
  private parenthesized(depth: number): Literal {
    const line = this.line();
    this.pos++;
    this.skip();
    if (this.peek() === ')') {
      this.pos++;
      return { kind: 'list', items: [], tuple: true, line };
    }
    const first = this.value(depth + 1);
    this.skip();
    if (this.peek() === ')') {
      this.pos++;
      return first;
    }
    if (this.peek() !== ',') this.unexpected('"," or ")"');
    this.pos++;
    const rest = this.items(')', depth);
    return { kind: 'list', items: [first, ...rest], tuple: true, line };
  }

  private dict(depth: number): DictLit {
    const line = this.line();
    this.pos++;
    const members: DictMember[] = [];
    const seen = new Map<string, number>();
    this.skip();
    if (this.peek() === '}') {
      this.pos++;
      return { kind: 'dict', members, line };
    }
    for (;;) {
      this.skip();
      const keyAt = this.pos;
      const key = this.value(depth + 1);
      if (key.kind !== 'str') this.fail('ERR_NTF_FIELD', `a dict key must be a string, not ${describe(key)}`, keyAt);
      this.skip();
      if (this.peek() !== ':') this.unexpected(`":" after the key ${JSON.stringify(key.value)}${this.peek() === ',' || this.peek() === '}' ? ' (a set is not a value the control API takes)' : ''}`);
      this.pos++;
      const value = this.value(depth + 1);
      const before = seen.get(key.value);
      if (before !== undefined) this.fail('ERR_NTF_FIELD', `the key ${JSON.stringify(key.value)} appears twice (lines ${before} and ${key.line})`, keyAt);
      seen.set(key.value, key.line);
      members.push({ key: key.value, keyLine: key.line, value });
      this.skip();
      if (this.peek() === '}') {
        this.pos++;
        return { kind: 'dict', members, line };
      }
      if (this.peek() !== ',') this.unexpected('"," or "}"');
      this.pos++;
      this.skip();
      if (this.peek() === '}' && this.dialect === 'python') {
        this.pos++;
        return { kind: 'dict', members, line };
      }
    }
  }
}

/** A whole JSON document: one value and nothing after it. */
export function readJson(text: string): Literal {
  const reader = new LiteralReader(text.charCodeAt(0) === 0xfeff ? ' ' + text.slice(1) : text, 'json');
  const v = reader.value();
  reader.skip();
  if (!reader.atEnd()) reader.fail('ERR_NTF_SYNTAX', `${reader.found()} after the JSON value`);
  return v;
}
