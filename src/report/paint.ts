// ANSI styling for console output; callers decide whether colour is wanted (NO_COLOR, TTY).
const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  inverse: [7, 27],
} as const;
export type Style = keyof typeof CODES;

export function paint(on: boolean, styles: readonly Style[], s: string): string {
  if (!on) return s;
  return styles.reduce((acc, st) => `\x1b[${CODES[st][0]}m${acc}\x1b[${CODES[st][1]}m`, s);
}
