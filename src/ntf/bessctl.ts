/**
 * The NTF module commands of a bessctl configuration script, read as data.
 *
 * A bessctl script is Python with BESS's pipeline syntax (`name::Module()`,
 * `a -> b`, `$VAR!'default'`). ntok runs none of it: it scans the text for
 * calls of the NTF module's commands, `<module>.entry_create(...)`,
 * `entry_modify(...)` and `entry_delete(...)` (Network-Tokens/ntf
 * modules/ntf.cc, `NTF::cmds`), and for pybess's generic
 * `bess.run_module_command(<module>, <command>, <arg type>, {...})`, and
 * reads their arguments with the literal reader. Everything else (other
 * modules, pipelines, comments, strings) is skipped as text.
 *
 * A call whose effect the text alone cannot tell is refused rather than
 * guessed: one inside brackets (part of an expression), one on an indented
 * line (inside an if, for, def or with block: it may run never or many
 * times), a command named but not called, arguments that are not literals.
 */
import { NtfImportError } from './errors.js';
import { LineMap, LiteralReader, describe, type DictLit, type DictMember, type Literal } from './literal.js';

export type NtfCommand = 'entry_create' | 'entry_modify' | 'entry_delete';

const COMMANDS: readonly string[] = ['entry_create', 'entry_modify', 'entry_delete'];

/** One command call found in a script, its keyword arguments as a dict. */
export interface ScriptCall {
  command: NtfCommand;
  /** The module the command is sent to (`ntf` in `ntf.entry_create`), when the text names it. */
  module: string;
  args: DictLit;
  line: number;
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;

class Scanner {
  private pos = 0;
  private depth = 0;
  /** Column of the first token of the current logical line (-1 until it is seen). */
  private indent = -1;
  private readonly lines: LineMap;
  readonly calls: ScriptCall[] = [];

  constructor(private readonly text: string) {
    this.lines = new LineMap(text);
  }

  private fail(code: 'ERR_NTF_SYNTAX' | 'ERR_NTF_CONTEXT', message: string, pos: number): never {
    throw new NtfImportError(code, message, this.lines.line(pos));
  }

  scan(): ScriptCall[] {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos];
      if (c === '#') {
        const nl = t.indexOf('\n', this.pos);
        this.pos = nl < 0 ? t.length : nl;
      } else if (c === '\\' && (t[this.pos + 1] === '\n' || t.startsWith('\r\n', this.pos + 1))) {
        this.pos += t[this.pos + 1] === '\n' ? 2 : 3; // the logical line goes on
      } else if (c === '\n') {
        this.pos++;
        if (this.depth === 0) this.indent = -1;
      } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
        this.pos++;
      } else {
        if (this.indent < 0) this.indent = this.lines.column(this.pos);
        this.token(c);
      }
    }
    return this.calls;
  }

  private token(c: string): void {
    const t = this.text;
    if (c === '"' || c === "'") return this.skipString(this.pos, 0);
    if (/[0-9]/.test(c)) {
      while (this.pos < t.length && /[0-9A-Za-z_.]/.test(t[this.pos])) this.pos++;
      return;
    }
    if (IDENT_START.test(c)) {
      const start = this.pos;
      while (this.pos < t.length && IDENT_PART.test(t[this.pos])) this.pos++;
      const name = t.slice(start, this.pos);
      if ((t[this.pos] === '"' || t[this.pos] === "'") && name.length <= 2 && /^[rRuUbBfF]+$/.test(name)) {
        return this.skipString(start, name.length);
      }
      if (COMMANDS.includes(name) || name === 'run_module_command') this.command(name, start);
      return;
    }
    if (c === '(' || c === '[' || c === '{') this.depth++;
    else if ((c === ')' || c === ']' || c === '}') && this.depth > 0) this.depth--;
    this.pos++;
  }

  /** Past a string literal of any prefix; the reader's rules, but nothing is kept. */
  private skipString(start: number, prefixLength: number): void {
    const t = this.text;
    let i = start + prefixLength;
    const q = t[i];
    const triple = t[i + 1] === q && t[i + 2] === q;
    i += triple ? 3 : 1;
    for (;;) {
      if (i >= t.length) this.fail('ERR_NTF_SYNTAX', 'unterminated string: the script ends before its closing quote', start);
      const ch = t[i];
      if (ch === '\\') i += 2; // even in a raw string a backslash keeps the next character from ending it
      else if (ch === q && (!triple || (t[i + 1] === q && t[i + 2] === q))) {
        this.pos = i + (triple ? 3 : 1);
        return;
      } else if (ch === '\n' && !triple) this.fail('ERR_NTF_SYNTAX', 'unterminated string: the line ends before its closing quote', start);
      else i++;
    }
  }

  /** The command name at `start`: a method call on a module, whose arguments are read. */
  private command(name: string, start: number): void {
    const t = this.text;
    let before = start - 1;
    while (before >= 0 && (t[before] === ' ' || t[before] === '\t')) before--;
    // entry_create without `module.` in front is some other function (a helper the script defines): not a command.
    if (t[before] !== '.') return;
    let m = before - 1;
    while (m >= 0 && (t[m] === ' ' || t[m] === '\t')) m--;
    const moduleEnd = m + 1;
    while (m >= 0 && IDENT_PART.test(t[m])) m--;
    const module = t.slice(m + 1, moduleEnd);
    const shown = `${module || '...'}.${name}`;

    const reader = new LiteralReader(t, 'python', this.pos, this.lines);
    reader.skip();
    if (reader.peek() !== '(') this.fail('ERR_NTF_CONTEXT', `${shown} is named but not called here: ntok imports direct calls only`, start);
    if (name === 'run_module_command' && !this.sendsNtfCommand(reader.pos)) return; // another module's command: text
    if (this.depth > 0) this.fail('ERR_NTF_CONTEXT', `${shown}(...) is inside brackets, part of an expression: ntok imports calls that are statements of their own`, start);
    if (this.indent > 0) {
      this.fail('ERR_NTF_CONTEXT', `${shown}(...) is on an indented line, inside a block (if, for, def, with): ntok cannot tell whether or how often it runs, and imports top-level calls only`, start);
    }
    const { keywords, positional } = readArguments(reader, shown);
    this.pos = reader.pos;
    const line = this.lines.line(start);
    if (name === 'run_module_command') {
      // pybess: run_module_command(name, cmd, arg_type, arg).
      const [mod, cmd, argType, arg] = positional;
      if (positional.length !== 4 || keywords.members.length > 0 || mod.kind !== 'str' || cmd.kind !== 'str' || argType.kind !== 'str' || arg.kind !== 'dict') {
        this.fail('ERR_NTF_SYNTAX', `${shown}(...): ntok reads run_module_command('<module>', '<command>', '<arg type>', {<fields>}) with literal arguments`, start);
      }
      this.calls.push({ command: cmd.value as NtfCommand, module: mod.value, args: arg, line });
      return;
    }
    if (positional.length > 0) {
      throw new NtfImportError('ERR_NTF_FIELD', `${shown}(...): a positional argument (${describe(positional[0])}): pass the fields as keyword arguments, field=value`, positional[0].line);
    }
    this.calls.push({ command: name as NtfCommand, module, args: keywords, line });
  }

  /**
   * Whether run_module_command(...) at `open` sends one of the NTF commands:
   * its second argument says; when the arguments are not literals, any NTF
   * command named in the call's first lines counts as yes (then refused
   * for its arguments rather than skipped).
   */
  private sendsNtfCommand(open: number): boolean {
    const probe = new LiteralReader(this.text, 'python', open + 1, this.lines);
    try {
      probe.value(1);
      probe.skip();
      if (probe.peek() !== ',') return true;
      probe.pos++;
      const cmd = probe.value(1);
      return cmd.kind !== 'str' || COMMANDS.includes(cmd.value);
    } catch {
      const head = this.text.slice(open, open + 1000);
      return COMMANDS.some((c) => head.includes(`'${c}'`) || head.includes(`"${c}"`));
    }
  }
}

/**
 * A call's arguments from its opening parenthesis: `name=literal` pairs
 * (as a dict, so that the fields are checked like JSON ones) and literal
 * positional ones; `*args` and `**kwargs` are code.
 */
function readArguments(reader: LiteralReader, shown: string): { keywords: DictLit; positional: Literal[] } {
  const line = reader.line();
  reader.pos++; // (
  const members: DictMember[] = [];
  const positional: Literal[] = [];
  const seen = new Map<string, number>();
  for (;;) {
    reader.skip();
    if (reader.peek() === ')') {
      reader.pos++;
      return { keywords: { kind: 'dict', members, line }, positional };
    }
    if (reader.peek() === '*') reader.fail('ERR_NTF_NOT_LITERAL', `${shown}(...) unpacks arguments with * or **: ntok reads literal arguments only`);
    const at = reader.pos;
    let name = '';
    while (IDENT_PART.test(reader.peek())) name += reader.text[reader.pos++];
    reader.skip();
    if (/^[A-Za-z_]/.test(name) && reader.peek() === '=' && reader.peek(1) !== '=') {
      reader.pos++;
      const keyLine = reader.line(at);
      const value = reader.value(1);
      const before = seen.get(name);
      if (before !== undefined) reader.fail('ERR_NTF_FIELD', `${shown}(...): the argument ${name} is given twice (lines ${before} and ${keyLine})`, at);
      seen.set(name, keyLine);
      members.push({ key: name, keyLine, value });
    } else {
      if (members.length > 0) reader.fail('ERR_NTF_SYNTAX', `${shown}(...): a positional argument after keyword arguments`, at);
      reader.pos = at;
      positional.push(reader.value(1));
    }
    reader.skip();
    if (reader.peek() === ',') reader.pos++;
    else if (reader.peek() !== ')') reader.unexpected(`"," or ")" in the arguments of ${shown}`);
  }
}

/** Every NTF command call in a bessctl script, in order. */
export function scanBessctl(text: string): ScriptCall[] {
  return new Scanner(text).scan();
}
