// Remediation steps shared by several detectors, written for the admin who has to act on them.
// Sources: MSRC "Guidance for responders" (2021-03-16), Microsoft CSS-Exchange Test-ProxyLogon /
// EOMT / EOMTv2 documentation, CrowdStrike OWASSRF advisory (2022-12).

export const PATCH_MARCH_2021 =
  'Install the current Cumulative Update (CU) and Security Update (SU) for your Exchange version; the March 2021 SU (KB5000871) is the minimum that closes ProxyLogon. `exhunt build <version>` tells which CVEs your build is open to.';
export const PATCH_PROXYSHELL =
  'Install the current CU and SU: ProxyShell is closed by the April 2021 (CVE-2021-34473/34523) and May 2021 (CVE-2021-31207) Security Updates.';
export const PATCH_PROXYNOTSHELL =
  'Install the current CU and SU: ProxyNotShell and OWASSRF are closed by the November 2022 Security Update; the URL Rewrite mitigation alone was bypassed.';
export const PRESERVE_FIRST =
  'Preserve evidence before cleaning: copy the Exchange Logging folder, the IIS logs (inetpub\\logs\\LogFiles) and the suspicious files to separate storage, with their timestamps.';
export const HUNT_WEB_SHELLS =
  'Look for web shells: new or changed .aspx/.ashx files under FrontEnd\\HttpProxy\\owa\\auth, FrontEnd\\HttpProxy\\ecp\\auth, FrontEnd\\HttpProxy\\OAB, inetpub\\wwwroot\\aspnet_client and the Temporary ASP.NET Files folder; preserve, then delete them.';
export const RESET_CREDENTIALS =
  'Assume credentials on the server were stolen: reset the passwords of administrator and service accounts that used it, and the krbtgt account twice if the server is domain-joined and attacker code ran.';
export const REVIEW_MAILBOXES =
  'Review mailbox access: EWS logs (Logging\\Ews), mailbox audit logs and New-MailboxExportRequest / Get-MailboxExportRequest for exported mailboxes; tell the owners of affected mailboxes.';
export const CALL_A_PROFESSIONAL =
  'If commands were run or a web shell was used, call an incident-response provider or your national CERT: the attacker may have moved beyond the Exchange server.';
export const CHECK_PATCH_LEVEL =
  'Confirm the server is fully patched (`exhunt build <version>`); a scan or failed attempt needs no clean-up, but an unpatched server will be exploited.';
export const REVIEW_PROXIED_PROTOCOL =
  'Read the logs of the protocol the request was proxied to (Logging\\ECP\\Server for ECP, Logging\\Ews for EWS, Logging\\HttpProxy\\<protocol>) around the same time to see what the attacker did.';
