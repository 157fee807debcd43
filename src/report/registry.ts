// Every output format, by id. Adding one is one file plus one line here.
import { consoleWriter } from './writers/console.js';
import { csvWriter } from './writers/csv.js';
import { htmlWriter } from './writers/html.js';
import { jsonWriter } from './writers/json.js';
import { jsonlWriter } from './writers/jsonl.js';
import { stixWriter } from './writers/stix.js';
import { timelineCsvWriter, timelineJsonlWriter } from './writers/timeline.js';
import type { ReportWriter } from './writers/types.js';

export const WRITERS: readonly ReportWriter[] = [consoleWriter, csvWriter, htmlWriter, jsonWriter, jsonlWriter, stixWriter, timelineCsvWriter, timelineJsonlWriter];

export function writerById(id: string): ReportWriter | undefined {
  return WRITERS.find((w) => w.id === id);
}
