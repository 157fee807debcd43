// The public API of exhunt as a library: run a hunt, render a report, and the shapes they use.
export type {
  ContextEvent, Coverage, Evidence, Finding, Intrusion, IntrusionLink, IntrusionStep, LogEvent, Phase, Report, ReportContext, ReportError, Severity, Skipped, SourceKind, Stage, Verdict, VerdictStatus, WebRequest,
} from './core/types.js';
export { SCHEMA_VERSION, TOOL_VERSION } from './core/version.js';
export { hunt, type HuntOptions, type Progress } from './pipeline/hunt.js';
export { WRITERS, writerById } from './report/registry.js';
export { readSavedReport } from './pipeline/saved-report.js';
export { buildTimeline, type TimelineEvent } from './report/timeline.js';
export { reportToStix, type StixBundle } from './report/stix.js';
export { DETECTORS } from './detect/registry.js';
export { PARSERS } from './parsers/registry.js';
export { main } from './cli/main.js';
