// STIX patterning (STIX 2.1 part 5): a string literal is single-quoted, and inside it only the
// backslash and the quote are escaped (`\\`, `\'`); every other character, control characters
// included, stands for itself. The JSON layer around the pattern is JSON.stringify's business.

/** A value as a quoted STIX pattern string literal. */
export function patternString(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/** `[object:path = 'value']`. The object path is exhunt's own constant, never evidence. */
export function equalsPattern(objectPath: string, value: string): string {
  return `[${objectPath} = ${patternString(value)}]`;
}
