// Known attacker IP addresses and user agents in web and event logs, from the shipped indicator
// list (published 2021 HAFNIUM infrastructure) and the user's --ioc files. An address is only a
// lead: published addresses get reassigned, so a match is medium unless the request succeeded.
import type { LogEvent } from '../../core/types.js';
import type { Detector, Hit } from '../types.js';
import { isSuccess, statusText } from '../web.js';
import type { Indicator } from './indicators.js';

/** EVTX data fields that carry a remote address (logons, Sysmon network events, RDP). */
const EVTX_ADDRESS_FIELDS = ['IpAddress', 'SourceAddress', 'SourceIp', 'ClientIP', 'DestinationIp', 'Address'];

export function iocDetector(indicators: readonly Indicator[]): Detector | undefined {
  const ips = new Map<string, Indicator>();
  const agents: Indicator[] = [];
  for (const i of indicators) {
    if (i.type === 'ip' && !ips.has(i.value)) ips.set(i.value, i);
    if (i.type === 'user-agent') agents.push(i);
  }
  if (ips.size === 0 && agents.length === 0) return undefined;
  const hit = (ind: Indicator, what: string, ip: string, ok: boolean, extra: Record<string, string>): Hit => ({
    key: `${ind.type}:${ind.value}`,
    title: `Known attacker ${ind.type === 'ip' ? 'address' : 'user agent'} ${ind.value}`,
    severity: ok ? 'high' : 'medium',
    stage: ok ? 'attempt' : 'scan',
    clientIp: ip,
    summary: `${what} matches a published indicator (${ind.note ? `${ind.note}; ` : ''}source: ${ind.source}).`,
    facets: { source: ind.source, ...extra },
  });
  return {
    id: 'ioc-match',
    title: 'Known attacker address or user agent',
    story: 'a known attacker address reached the server',
    appliesTo: ['iis', 'exchange-httpproxy', 'evtx'],
    needles: [...ips.keys(), ...agents.map((a) => a.value.toLowerCase())],
    cves: [],
    attack: ['T1190'],
    explanation: 'A request or logon came from an IP address, or with a user agent, that a published report attributes to attackers of Exchange servers. Addresses change hands, so check what the requests did before concluding.',
    remediation: [
      'Look at every request from this address (the evidence lists them): what was requested, with which status, and when.',
      'Block the address at the firewall if nothing legitimate uses it.',
    ],
    references: ['shared/reference/data/ips.csv (Volexity, Microsoft HAFNIUM blog 2021-03-02)', 'user --ioc files'],
    inspect(ev: LogEvent): Hit | undefined {
      const web = ev.web;
      if (web) {
        const ind = ips.get(web.clientIp.toLowerCase());
        const ok = isSuccess(web.status);
        const facets = { request: `${web.method} ${web.stem}`, status: statusText(web.status) };
        if (ind) return hit(ind, `${web.clientIp}: ${web.method} ${web.stem} (status ${statusText(web.status)})`, web.clientIp, ok, facets);
        const ua = agents.find((a) => web.userAgent === a.value || web.userAgent.replace(/\+/g, ' ') === a.value.replace(/\+/g, ' '));
        if (ua) return hit(ua, `${web.clientIp}: ${web.method} ${web.stem} with user agent "${web.userAgent}"`, web.clientIp, ok, facets);
        return undefined;
      }
      const data = ev.win?.data;
      if (!data) return undefined;
      for (const f of EVTX_ADDRESS_FIELDS) {
        const v = data[f];
        const ind = v ? ips.get(v.toLowerCase()) : undefined;
        if (ind) return hit(ind, `event ${ev.win!.eventId} (${ev.win!.channel}) from ${v}`, v!, ev.win!.eventId === 4624, { event: String(ev.win!.eventId) });
      }
      return undefined;
    },
  };
}
