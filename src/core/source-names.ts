// Display names of the log kinds, for every writer and message.
import type { SourceKind } from './types.js';

const SOURCE_NAMES: Record<SourceKind, string> = {
  iis: 'IIS',
  'exchange-httpproxy': 'HttpProxy',
  'exchange-ecp-server': 'ECP Server',
  'exchange-ecp-activity': 'ECP Activity',
  'exchange-oab-generator': 'OAB Generator',
  'exchange-rps-http': 'Rps_Http',
  'exchange-rps-cmdlet': 'Rps_Cmdlet',
  evtx: 'Windows events',
};

export function sourceName(s: SourceKind): string {
  return SOURCE_NAMES[s];
}
