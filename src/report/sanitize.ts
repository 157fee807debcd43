// Evidence is attacker-controlled. Before it reaches a terminal, control characters, escape
// sequences and direction overrides become visible escapes; before it reaches a spreadsheet, a cell
// that would start a formula is defused.

// C0 controls, DEL, C1 controls, bidi embeddings/overrides/isolates, line/paragraph separators,
// zero-width and BOM characters.
const UNSAFE_TERMINAL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

export function terminalSafe(s: string): string {
  return s.replace(UNSAFE_TERMINAL, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

// In JSON, C0 controls are already escaped by JSON.stringify; these are not, and would reach a
// terminal or pager that shows the file. They can only occur inside strings, so escaping them
// keeps the document valid and its values unchanged.
const UNSAFE_JSON = /[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

export function jsonSafe(json: string): string {
  return json.replace(UNSAFE_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One CSV cell: formula triggers neutralised (OWASP CSV injection), quoted when needed. */
export function csvCell(value: string | number | undefined): string {
  let s = value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  if (/[",\r\n]/.test(s)) s = `"${s.replace(/"/g, '""')}"`;
  return s;
}
