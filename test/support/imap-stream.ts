/** Splits an IMAP byte stream into lines and literal data, so literal bytes are never mistaken for commands. */

export type Segment =
  | { kind: 'line'; data: Buffer; /** The line continues a command after a literal. */ continuation: boolean; literal: number | null }
  | { kind: 'literal'; data: Buffer };

export interface Splitter {
  push(chunk: Buffer): void;
  /** True between complete lines (no partial line, no literal pending). */
  atBoundary(): boolean;
}

// {n}, {n+} (LITERAL+/-) and ~{n} (BINARY) at the end of a line announce n bytes of literal data.
const literalAtEnd = /~?\{(\d+)\+?\}\r?\n$/;

export function createSplitter(emit: (segment: Segment) => void): Splitter {
  let pending: Buffer[] = [];
  let literalLeft = 0;
  let afterLiteral = false;
  return {
    push(chunk) {
      let off = 0;
      while (off < chunk.length) {
        if (literalLeft > 0) {
          const n = Math.min(literalLeft, chunk.length - off);
          emit({ kind: 'literal', data: chunk.subarray(off, off + n) });
          literalLeft -= n;
          off += n;
          continue;
        }
        const nl = chunk.indexOf(0x0a, off);
        if (nl === -1) {
          pending.push(chunk.subarray(off));
          break;
        }
        const line = pending.length ? Buffer.concat([...pending, chunk.subarray(off, nl + 1)]) : chunk.subarray(off, nl + 1);
        pending = [];
        off = nl + 1;
        const m = literalAtEnd.exec(line.toString('latin1', Math.max(0, line.length - 24)));
        const continuation = afterLiteral;
        literalLeft = m ? Number(m[1]) : 0;
        afterLiteral = m !== null;
        emit({ kind: 'line', data: line, continuation, literal: m ? Number(m[1]) : null });
      }
    },
    atBoundary: () => pending.length === 0 && literalLeft === 0 && !afterLiteral,
  };
}

export interface ParsedCommand {
  tag: string;
  /** Upper-case command name; UID commands as "UID FETCH" etc. */
  name: string;
  /** First argument decoded from atom or quoted string (the mailbox of SELECT/EXAMINE…). */
  firstArg: string | null;
}

export function parseCommandLine(line: Buffer): ParsedCommand | null {
  const text = line.toString('latin1').replace(/\r?\n$/, '');
  const m = /^([^\s]+) ([A-Za-z]+)(?: (.*))?$/.exec(text);
  if (!m) return null;
  let name = m[2]!.toUpperCase();
  let rest = m[3] ?? '';
  if (name === 'UID') {
    const sub = /^([A-Za-z]+)(?: (.*))?$/.exec(rest);
    if (sub) {
      name = `UID ${sub[1]!.toUpperCase()}`;
      rest = sub[2] ?? '';
    }
  }
  return { tag: m[1]!, name, firstArg: firstArgument(rest) };
}

function firstArgument(rest: string): string | null {
  if (!rest) return null;
  if (rest.startsWith('"')) {
    let out = '';
    for (let i = 1; i < rest.length; i++) {
      const c = rest[i]!;
      if (c === '\\') out += rest[++i] ?? '';
      else if (c === '"') return out;
      else out += c;
    }
    return null;
  }
  if (rest.startsWith('{')) return null; // literal: not inspected
  return rest.split(' ')[0] ?? null;
}
