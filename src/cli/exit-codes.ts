// Exit codes, documented in the README.
export const EXIT = {
  /** Nothing at or above the --min-severity threshold. */
  clean: 0,
  /** At least one finding at or above the threshold. */
  findings: 1,
  /** Bad command line, an input that cannot be opened, no readable log in it, or an unexpected failure. */
  error: 2,
  /** Stopped by Ctrl-C; the results so far were written (scan). */
  interrupted: 130,
} as const;
