// Every output format, by id. Adding one is one file plus one line here.
import { consoleWriter } from './writers/console.js';
import { csvWriter } from './writers/csv.js';
import { jsonWriter } from './writers/json.js';
import { jsonlWriter } from './writers/jsonl.js';
import type { ReportWriter } from './writers/types.js';

export const WRITERS: readonly ReportWriter[] = [consoleWriter, csvWriter, jsonWriter, jsonlWriter];

export function writerById(id: string): ReportWriter | undefined {
  return WRITERS.find((w) => w.id === id);
}
