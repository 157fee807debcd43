// Remote version fingerprinting: scanners read the exact Exchange build from the eDiscovery export
// tool manifest under /ecp/Current/exporttool/ (or /ecp/<build>/exporttool/). Harmless in itself,
// it is how attackers pick unpatched servers, and it shows the server is being scanned.
// Sources: righel/ms-exchange-version-nse ms-exchange-version.nse (step 3 of get_owa_build); an
// HttpProxy\Ecp sample row from a zgrab scanner (artefacts.help, RoutingHint
// EDiscoveryExportTool-ServerVersion).
import type { Detector, Hit } from '../types.js';
import { CHECK_PATCH_LEVEL } from '../remediation.js';
import { statusText } from '../web.js';

const EXPORT_TOOL = /^\/ecp\/[^/]+\/exporttool\/microsoft\.exchange\.ediscovery\.exporttool\.application$/i;

export const exchangeVersionFingerprint: Detector = {
  id: 'exchange-version-fingerprint',
  title: 'Exchange version fingerprinting',
  story: 'version fingerprinted',
  appliesTo: ['iis', 'exchange-httpproxy'],
  needles: ['/ecp/'],
  cves: [],
  attack: ['T1595.002'],
  explanation:
    'Someone requested the file that reveals the exact Exchange build number. Internet-wide scanners do this to every Exchange server to find unpatched ones; it is not an attack on its own, but it means your version is known to whoever scanned.',
  remediation: [CHECK_PATCH_LEVEL],
  references: ['righel/ms-exchange-version-nse ms-exchange-version.nse'],
  inspect(ev): Hit | undefined {
    const web = ev.web;
    if (!web || !EXPORT_TOOL.test(web.stem)) return undefined;
    const ip = web.clientIp;
    return {
      key: ip,
      clientIp: ip,
      facets: { userAgent: web.userAgent, status: statusText(web.status) },
      title: 'Exchange version fingerprinted',
      severity: 'low',
      stage: 'scan',
      summary: `${ip}: GET ${web.stem} (status ${statusText(web.status)}) with user agent "${web.userAgent}" reads the exact build number.`,
    };
  },
};
