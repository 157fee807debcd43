// Known attacker IP addresses (and ranges), user agents and URLs in web and event logs, from the
// shipped indicator list (published 2021 HAFNIUM infrastructure) and the user's --ioc files (CSV,
// text, STIX 2.1, MISP). An address is only a lead: published addresses get reassigned, so a match
// is medium unless the request succeeded. A URL indicator is compared on its path (and query): the
// logs of the attacked server do not show which host name the attacker typed.
import type { LogEvent } from '../../core/types.js';
import type { Detector, Hit } from '../types.js';
import { EVTX_ADDRESS_FIELDS } from '../windows.js';
import { isSuccess, pathOf, queryOf, statusText } from '../web.js';
import { IpMatcher, ipNeedle } from './ip.js';
import type { Indicator } from './indicators.js';
import { urlPathKey } from './values.js';


const WHAT: Partial<Record<Indicator['type'], string>> = { ip: 'address', 'user-agent': 'user agent', url: 'URL' };

/** What a URL hit means (the detector's own story and explanation are about addresses). */
const URL_HIT = {
  story: 'a published attacker URL was requested',
  explanation: 'A request asked for a path that a published report names as attacker infrastructure on Exchange servers (a web shell, an exploit endpoint). The host name is not compared: check the status and what else this client requested.',
};

/**
 * Past this many needles the detector reads every web and event record instead: the engine and the
 * line scanner are built for tens of literals, and a feed of 100,000 addresses as needles would cost
 * more than parsing every line.
 */
const MAX_NEEDLES = 5000;

/** IIS writes a space in a user agent as `+`, HttpProxy a comma as a space: compare without either. */
const agentKey = (ua: string) => ua.replace(/\+/g, ' ');

/**
 * The longest piece of a value that a log line holds literally however the log escapes it (IIS `+`
 * for spaces, HttpProxy's commas, CSV quotes, percent-encoding): the needle the line prefilter uses.
 */
function literalPiece(value: string, breaks: RegExp): string {
  return value
    .toLowerCase()
    .split(breaks)
    .reduce((best, p) => (p.length > best.length ? p : best), '');
}

export function iocDetector(indicators: readonly Indicator[]): Detector | undefined {
  const ips = new IpMatcher<Indicator>();
  const agents = new Map<string, Indicator>();
  const urls = new Map<string, Indicator>();
  const needles = new Set<string>();
  for (const i of indicators) {
    if (i.type === 'ip') {
      ips.add(i.value, i);
      needles.add(ipNeedle(i.value));
    } else if (i.type === 'user-agent') {
      if (!agents.has(agentKey(i.value))) agents.set(agentKey(i.value), i);
      needles.add(literalPiece(i.value, /[\s+,"]+/));
    } else if (i.type === 'url') {
      if (!urls.has(i.value)) urls.set(i.value, i);
      needles.add(literalPiece(i.value.split('?')[0]!, /[^a-z0-9\-._~/!$'()*;=:@]+/));
    }
  }
  needles.delete('');
  if (ips.empty && agents.size === 0 && urls.size === 0) return undefined;
  const hit = (ind: Indicator, what: string, ip: string, ok: boolean, extra: Record<string, string>): Hit => ({
    key: `${ind.type}:${ind.value}`,
    title: `Known attacker ${WHAT[ind.type] ?? ind.type} ${ind.value}`,
    severity: ok ? 'high' : 'medium',
    stage: ok ? 'attempt' : 'scan',
    clientIp: ip,
    summary: `${what} matches a published indicator (${ind.note ? `${ind.note}; ` : ''}source: ${ind.source}).`,
    facets: { source: ind.source, ...extra },
    ...(ind.type === 'url' ? URL_HIT : {}),
  });
  const urlIndicator = (path: string, query: string) => {
    const key = urlPathKey(path);
    return (query ? urls.get(`${key}?${query.toLowerCase()}`) : undefined) ?? urls.get(key);
  };
  return {
    id: 'ioc-match',
    title: 'Known attacker address, user agent or URL',
    story: 'a known attacker address reached the server',
    appliesTo: ['iis', 'exchange-httpproxy', 'evtx'],
    needles: needles.size > MAX_NEEDLES ? null : [...needles],
    inspectsEveryCandidate: true,
    cves: [],
    attack: ['T1190'],
    explanation: 'A request or logon came from an IP address, or with a user agent, that a published report attributes to attackers of Exchange servers. Addresses change hands, so check what the requests did before concluding.',
    remediation: [
      'Look at every request from this address (the evidence lists them): what was requested, with which status, and when.',
      'Block the address at the firewall if nothing legitimate uses it.',
    ],
    references: ['shared/reference/data/ips.csv (Volexity, Microsoft HAFNIUM blog 2021-03-02)', 'user --ioc files (CSV, text, STIX 2.1, MISP)'],
    inspect(ev: LogEvent): Hit | undefined {
      const web = ev.web;
      if (web) {
        const ind = ips.match(web.clientIp);
        const ok = isSuccess(web.status);
        const facets = { request: `${web.method} ${web.stem}`, status: statusText(web.status) };
        const said = `${web.clientIp}: ${web.method} ${web.stem} (status ${statusText(web.status)})`;
        if (ind) return hit(ind, said, web.clientIp, ok, facets);
        const ua = agents.get(agentKey(web.userAgent));
        if (ua) return hit(ua, `${web.clientIp}: ${web.method} ${web.stem} with user agent "${web.userAgent}"`, web.clientIp, ok, facets);
        const url = urls.size > 0 ? urlIndicator(pathOf(web), queryOf(web)) : undefined;
        if (url) return hit(url, said, web.clientIp, ok, facets);
        return undefined;
      }
      const data = ev.win?.data;
      if (!data || ips.empty) return undefined;
      for (const f of EVTX_ADDRESS_FIELDS) {
        const v = data[f];
        const ind = v ? ips.match(v) : undefined;
        if (ind) return hit(ind, `event ${ev.win!.eventId} (${ev.win!.channel}) from ${v}`, v!, ev.win!.eventId === 4624, { event: String(ev.win!.eventId) });
      }
      return undefined;
    },
  };
}
