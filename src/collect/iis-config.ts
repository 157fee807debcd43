// Where IIS writes its logs, read from applicationHost.config: the `directory` of
// <sites><siteDefaults><logFile>, of each <site><logFile>, and of the central W3C log
// (<log><centralW3CLogFile>). IIS writes one W3SVC<site id> folder (W3SVC for central logging)
// below each. Only these attributes matter, so a tag scan is enough: no XML parser to trust with
// a file an intruder may have edited.

import { decodeXmlText } from '../core/xml-tags.js';

const COMMENT = /<!--[\s\S]*?-->/g;
const LOG_TAG = /<(logFile|centralW3CLogFile)\b([^>]*)>/gi;
const DIRECTORY_ATTR = /\bdirectory\s*=\s*(?:"([^"]*)"|'([^']*)')/i;

/** The log directories named in applicationHost.config, unexpanded (`%SystemDrive%\…`), each once, in file order. */
export function iisLogDirectories(xml: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const tag of xml.replace(COMMENT, '').matchAll(LOG_TAG)) {
    const attr = DIRECTORY_ATTR.exec(tag[2]!);
    const dir = attr ? decodeXmlText(attr[1] ?? attr[2] ?? '').trim() : '';
    if (dir === '' || seen.has(dir.toLowerCase())) continue;
    seen.add(dir.toLowerCase());
    out.push(dir);
  }
  return out;
}

/** IIS's own folders below a log directory: W3SVC1, W3SVC2… and W3SVC for central logging. */
export function isIisSiteLogFolder(name: string): boolean {
  return /^W3SVC\d*$/i.test(name);
}
