// The tool and report-schema versions. The schema version changes only when the JSON report's shape
// changes (docs/report-schema.md); a test keeps TOOL_VERSION equal to package.json.
export const TOOL_VERSION = '0.1.0';
export const SCHEMA_VERSION = '1.5';
