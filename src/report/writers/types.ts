// The writer plug-in seam: one file per output format, each rendering the one Report type.
import type { Report } from '../../core/types.js';

export interface RenderOptions {
  /** ANSI colour (console only). */
  color: boolean;
  /** Terminal width for wrapping (console only). */
  width: number;
  /** Console: show every evidence line kept, not only the first few. */
  verbose?: boolean;
}

export interface ReportWriter {
  id: string;
  description: string;
  render(report: Report, opts: RenderOptions): string;
}
