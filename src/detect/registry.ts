// Every built-in detector, sorted by id. Adding one is one file plus one line here.
import { cve202126857UmException } from './detectors/cve-2021-26857-um-exception.js';
import { defenderDetection } from './detectors/defender-detection.js';
import { eventLogCleared } from './detectors/event-log-cleared.js';
import { exchangeManagementLog } from './detectors/exchange-management-log.js';
import { exchangeWorkerChildProcess } from './detectors/exchange-worker-child-process.js';
import { exfiltrationStaging } from './detectors/exfiltration-staging.js';
import { lsassDump } from './detectors/lsass-dump.js';
import { offensivePowershell } from './detectors/offensive-powershell.js';
import { webshellFileWrite } from './detectors/webshell-file-write.js';
import { exchangeCmdletAbuse } from './detectors/exchange-cmdlet-abuse.js';
import { exchangeVersionFingerprint } from './detectors/exchange-version-fingerprint.js';
import { owassrf } from './detectors/owassrf.js';
import { proxylogonEcpVdirScript } from './detectors/proxylogon-ecp-vdir-script.js';
import { proxylogonIis } from './detectors/proxylogon-iis.js';
import { proxylogonOabFileWrite } from './detectors/proxylogon-oab-file-write.js';
import { proxylogonResetVdir } from './detectors/proxylogon-reset-vdir.js';
import { proxylogonSsrfHttpProxy } from './detectors/proxylogon-ssrf-httpproxy.js';
import { proxynotshell } from './detectors/proxynotshell.js';
import { proxyshell } from './detectors/proxyshell.js';
import { rpsHttpProxiedPowershell } from './detectors/rps-http-proxied-powershell.js';
import { webshellAccess } from './detectors/webshell-access.js';
import { webshellCommands } from './detectors/webshell-commands.js';
import { webshellTunnelAndTools } from './detectors/webshell-tunnel-and-tools.js';
import { webfolderDownload } from './detectors/webfolder-download.js';
import type { Detector } from './types.js';

export const DETECTORS: readonly Detector[] = [
  cve202126857UmException,
  defenderDetection,
  eventLogCleared,
  exchangeCmdletAbuse,
  exchangeManagementLog,
  owassrf,
  proxylogonEcpVdirScript,
  proxylogonIis,
  proxylogonOabFileWrite,
  proxylogonResetVdir,
  proxylogonSsrfHttpProxy,
  proxynotshell,
  proxyshell,
  rpsHttpProxiedPowershell,
  exchangeVersionFingerprint,
  webshellAccess,
  exchangeWorkerChildProcess,
  exfiltrationStaging,
  lsassDump,
  offensivePowershell,
  webfolderDownload,
  webshellCommands,
  webshellFileWrite,
  webshellTunnelAndTools,
];
