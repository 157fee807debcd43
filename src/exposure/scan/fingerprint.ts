// What a browser's requests reveal about an Exchange front end (the approach of the public nmap
// scripts righel/ms-exchange-version-nse and GossiTheDog/scanning, reimplemented):
// - `X-OWA-Version` on GET /owa/: the exact build of the OWA front end;
// - the ClickOnce manifest GET /ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application:
//   `<assemblyIdentity … version="15.2.1118.20">`, the exact build;
// - the logon page's asset paths `/owa/auth/15.1.2375/…`, `/owa/15.1.2375/…`: the CU only.
import type { HttpAnswer } from './http.js';

export type BuildSource = 'x-owa-version' | 'exporttool' | 'owa-path';

export const EXPORT_TOOL_PATH = '/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application';

const VERSION4 = /^\d{1,2}\.\d{1,2}\.\d{1,5}\.\d{1,5}$/;

export function buildFromOwaHeader(a: HttpAnswer): string | undefined {
  const v = a.headers['x-owa-version']?.trim();
  return v && VERSION4.test(v) ? v : undefined;
}

export function buildFromExportTool(a: HttpAnswer): string | undefined {
  if (a.status !== 200) return undefined;
  const identities = [...a.body.matchAll(/<assemblyIdentity\b[^>]*>/gi)].map((m) => m[0]);
  const own = identities.find((t) => /exporttool/i.test(t)) ?? identities[0];
  const v = own ? /\bversion\s*=\s*["'](\d{1,2}\.\d{1,2}\.\d{1,5}\.\d{1,5})["']/i.exec(own)?.[1] : undefined;
  return v && /^1[45]\./.test(v) ? v : undefined;
}

/** The CU-level build from OWA asset paths (the most frequent one if a page mixes several). */
export function buildFromOwaPaths(body: string): string | undefined {
  const counts = new Map<string, number>();
  for (const m of body.matchAll(/\/owa\/(?:auth\/)?(1[45]\.\d{1,2}\.\d{1,5})(?:\.\d{1,5})?\//gi)) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  let best: string | undefined;
  for (const [v, n] of counts) if (best === undefined || n > counts.get(best)!) best = v;
  return best;
}

/** Signs, beyond a build, that the answer came from Exchange (for hosts that hide the build). */
export function exchangeSigns(a: HttpAnswer): string[] {
  const signs: string[] = [];
  for (const h of ['x-owa-version', 'x-feserver', 'x-beserver', 'x-calculatedbetarget', 'x-owa-diagnosticsinfo']) {
    if (a.headers[h] !== undefined) signs.push(`header ${h}`);
  }
  const loc = a.headers['location'] ?? '';
  if (/\/owa\/auth\/logon\.aspx/i.test(loc)) signs.push('redirect to /owa/auth/logon.aspx');
  if (/\/owa\/auth\/|Outlook Web App|Outlook on the web/i.test(a.body.slice(0, 65536))) signs.push('OWA logon page');
  if (/microsoft\.exchange\.ediscovery\.exporttool/i.test(a.body.slice(0, 65536))) signs.push('eDiscovery export tool manifest');
  return signs;
}
