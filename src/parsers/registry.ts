// Every parser exhunt has, in the order they are asked to claim a file. Adding a format is one
// file plus one line here.
import { evtxParser } from './evtx/parse.js';
import { exchangeCsvParser } from './exchange-csv/parse.js';
import { iisW3cParser } from './iis-w3c/parse.js';
import type { Head, Parser, Sniff } from './types.js';

export const PARSERS: readonly Parser[] = [evtxParser, exchangeCsvParser, iisW3cParser];

export function parserById(id: string): Parser | undefined {
  return PARSERS.find((p) => p.id === id);
}

/** The first parser that recognises the file's content. */
export function identify(head: Head): Sniff | undefined {
  for (const p of PARSERS) {
    const s = p.sniff(head);
    if (s) return s;
  }
  return undefined;
}
