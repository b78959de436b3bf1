/**
 * PostgreSQL COPY text format, written and read exactly as the server does
 * (CopyAttributeOutText / CopyReadAttributesText): one row per line, columns
 * separated by tab, NULL as `\N`, and backslash, backspace, form feed,
 * newline, carriage return, tab and vertical tab escaped. Other control
 * characters are written raw, as the server writes them. The dump renders
 * rows itself where it rewrites secrets (every other table is read with the
 * server's own COPY), so this must produce the very bytes `COPY ... TO`
 * produces: the cross-engine tests compare checksums of both. The parser only
 * serves tests and tools now: the load hands COPY text to the server as is.
 */

const BACKSLASH = 0x5c;
const ESCAPES: Record<number, number> = {
  0x08: 0x62, // \b
  0x0c: 0x66, // \f
  0x0a: 0x6e, // \n
  0x0d: 0x72, // \r
  0x09: 0x74, // \t
  0x0b: 0x76, // \v
  0x5c: 0x5c, // \\
};
const NULL_FIELD = Buffer.from("\\N");
const TAB = Buffer.from("\t");
const NEWLINE = Buffer.from("\n");

export type FieldValue = Buffer | string | null;

function needsEscape(value: Buffer): boolean {
  for (let i = 0; i < value.length; i++) {
    const byte = value[i]!;
    // Every byte that needs escaping is ASCII, so scanning UTF-8 bytes is safe.
    if (byte === BACKSLASH || (byte <= 0x0d && byte >= 0x08)) return true;
  }
  return false;
}

/** One field in COPY text form. */
export function escapeCopyField(value: FieldValue): Buffer {
  if (value === null) return NULL_FIELD;
  const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  if (!needsEscape(bytes)) return bytes;
  const out = Buffer.allocUnsafe(bytes.length * 2);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    const escaped = ESCAPES[byte];
    if (escaped === undefined) {
      out[n++] = byte;
    } else {
      out[n++] = BACKSLASH;
      out[n++] = escaped;
    }
  }
  return out.subarray(0, n);
}

/** Appends one row (fields and the terminating newline) to `parts`; returns the bytes added. */
export function pushCopyRow(parts: Buffer[], values: readonly FieldValue[]): number {
  let bytes = 0;
  values.forEach((value, i) => {
    if (i > 0) {
      parts.push(TAB);
      bytes += 1;
    }
    const field = escapeCopyField(value);
    parts.push(field);
    bytes += field.length;
  });
  parts.push(NEWLINE);
  return bytes + 1;
}

export function renderCopyRows(rows: readonly (readonly FieldValue[])[]): Buffer {
  const parts: Buffer[] = [];
  for (const row of rows) pushCopyRow(parts, row);
  return Buffer.concat(parts);
}

/** Number of rows in COPY text data: every row ends with a newline. */
export function countCopyRows(data: Buffer): number {
  let rows = 0;
  let at = data.indexOf(0x0a);
  while (at !== -1) {
    rows++;
    at = data.indexOf(0x0a, at + 1);
  }
  return rows;
}

/**
 * Rows of COPY text as the server reads them, the text given in pieces cut
 * anywhere. A backslash escapes the byte after it (so `\\` is one escaped
 * backslash), and a newline ends a row unless it is escaped: a backslash
 * before a newline makes it part of the value, so the server stores one row
 * where newlines alone count two. An unescaped `\.` is COPY's end-of-data
 * marker: the server stops there (PostgreSQL 15) or refuses the text. A dump
 * never writes one (it escapes every backslash in a value), so `add`
 * refuses it (CopyFormatError).
 */
export class CopyRowCounter {
  rows = 0;
  /** The text so far ends with a row's end: a newline no backslash escapes. */
  atRowEnd = true;
  /** The last piece ended with a backslash, which escapes the next piece's first byte. */
  private escaping = false;

  add(piece: Buffer): void {
    const last = piece.length - 1;
    if (last < 0) return;
    let escapedNewlines = 0;
    let lastEscaped = false;
    // Each escaped byte in turn: the first, if the last piece ended with a
    // backslash, then the one after each escaping backslash. (Most are the
    // N of a null's `\N`: one indexOf each, and no array, keep this cheap.)
    let at = this.escaping ? 0 : afterBackslash(piece, 0);
    this.escaping = false;
    while (at !== -1) {
      if (at > last) {
        this.escaping = true;
        break;
      }
      if (piece[at] === 0x0a) {
        escapedNewlines++;
        lastEscaped = at === last;
      } else if (piece[at] === 0x2e) {
        const row = this.rows + countCopyRows(piece.subarray(0, at)) - escapedNewlines + 1;
        throw new CopyFormatError(`holds COPY's end-of-data marker (\\.) in row ${row}`);
      }
      at = afterBackslash(piece, at + 1);
    }
    this.rows += countCopyRows(piece) - escapedNewlines;
    this.atRowEnd = piece[last] === 0x0a && !lastEscaped;
  }
}

/** The index after the next backslash from `from` (which may be past the end), or -1. */
function afterBackslash(piece: Buffer, from: number): number {
  const at = piece.indexOf(BACKSLASH, from);
  return at === -1 ? -1 : at + 1;
}

export class CopyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CopyFormatError";
  }
}

const UNESCAPES: Record<string, string> = {
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

function unescapeField(field: string): string | null {
  if (field === "\\N") return null;
  if (!field.includes("\\")) return field;
  let out = "";
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = field[++i];
    if (next === undefined) throw new CopyFormatError("a field ends with a lone backslash");
    const simple = UNESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    // Octal and hex escapes are accepted by the server but never written by
    // it; only ASCII is accepted here since a lone byte >= 0x80 is not a character.
    const octal = /^[0-7]{1,3}/.exec(field.slice(i));
    const hex = next === "x" ? /^[0-9a-fA-F]{1,2}/.exec(field.slice(i + 1)) : null;
    if (octal || hex) {
      const code = octal ? parseInt(octal[0], 8) : parseInt(hex![0], 16);
      if (code === 0 || code > 0x7f) {
        throw new CopyFormatError(`unsupported byte escape \\${octal ? octal[0] : "x" + hex![0]}`);
      }
      out += String.fromCharCode(code);
      i += octal ? octal[0].length - 1 : hex![0].length;
      continue;
    }
    out += next; // any other escaped character stands for itself
  }
  return out;
}

/** Parses COPY text data into rows of text values (null for NULL), checking the column count. */
export function parseCopyRows(data: Buffer, columns: number): (string | null)[][] {
  const text = data.toString("utf8");
  if (text.length > 0 && !text.endsWith("\n")) {
    throw new CopyFormatError("the data does not end with a complete row");
  }
  const lines = text.split("\n");
  lines.pop();
  return lines.map((line, index) => {
    const fields = line.split("\t");
    if (fields.length !== columns) {
      throw new CopyFormatError(
        `row ${index + 1} has ${fields.length} fields where ${columns} were expected`,
      );
    }
    return fields.map(unescapeField);
  });
}
