// exhunt built-in YARA rules: files Exchange itself writes when an attacker abuses an export or
// configuration feature to plant a web page (ProxyLogon CVE-2021-27065, ProxyShell CVE-2021-31207).
// Written for exhunt from the public write-ups cited in each rule's meta.
// External variables: filename, filepath, extension (lower case, no dot). No modules.

rule exhunt_exchange_oab_vdir_config_script
{
    meta:
        description = "A dump of the Offline Address Book virtual directory settings whose URL holds a script: the file Exchange writes when CVE-2021-27065 is used to plant a web shell."
        family = "ProxyLogon OAB web shell"
        severity = "critical"
        stage = "compromise"
        cve = "CVE-2021-27065"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/03/02/hafnium-targeting-exchange-servers/"
        author = "exhunt"
    strings:
        // The settings dump is a PowerShell Format-List: "Name   : value" lines.
        $name = /\bName\s*:\s*OAB\s*\(Default Web Site\)/ nocase ascii wide
        $poll = /\bPollInterval\s*:/ nocase ascii wide
        $oabs = /\bOfflineAddressBooks\s*:/ nocase ascii wide
        $metabase = /\bMetabasePath\s*:\s*IIS:\/\/[^\r\n]{1,120}\/OAB\b/ nocase ascii wide
        $auth = /\b(Internal|External)AuthenticationMethods\s*:/ nocase ascii wide
        // A URL setting that carries markup: the planted script block.
        $url_fake_host = /\b(Internal|External)Url\s*:\s*https?:\/\/[^\/\s]{1,64}\/\s*<\s*script/ nocase ascii wide
        $url_runat = /\b(Internal|External)Url\s*:[^\r\n]{0,300}<\s*script[^>]{0,120}runat\s*=\s*["']?server/ nocase ascii wide
    condition:
        filesize < 1MB and ($url_fake_host or $url_runat) and 2 of ($name, $poll, $oabs, $metabase, $auth)
}

rule exhunt_exchange_proxyshell_export_aspx
{
    meta:
        description = "A mailbox export (PST) or certificate request (DER) saved as an .aspx/.ashx page with script inside: the web shell that ProxyShell writes through Exchange's own export features."
        family = "ProxyShell export web shell"
        severity = "critical"
        stage = "compromise"
        cve = "CVE-2021-31207"
        reference = "https://www.zerodayinitiative.com/blog/2021/8/17/from-pwn2own-2021-a-new-attack-surface-on-microsoft-exchange-proxyshell"
        author = "exhunt"
    strings:
        $script = /<\s*script\b/ nocase
        $page = /Page\s+Language\s*=/ nocase
    condition:
        // "!BDN" (PST) or 30 82 (DER SEQUENCE with a two-byte length) at the start of the file.
        (uint32(0) == 0x4E444221 or uint16(0) == 0x8230) and
        (extension == "aspx" or extension == "ashx") and
        ($script or $page)
}

rule exhunt_exchange_pst_server_script
{
    meta:
        description = "A mailbox export (PST) whose bytes contain a server-side script block: the ProxyShell way of smuggling a web shell through New-MailboxExportRequest, whatever the file is now called."
        family = "ProxyShell export web shell"
        severity = "high"
        stage = "attempt"
        cve = "CVE-2021-31207"
        reference = "https://www.huntress.com/blog/rapid-response-microsoft-exchange-servers-still-vulnerable-to-proxyshell-exploit"
        author = "exhunt"
    strings:
        $server_script = /<\s*script\b[^>]{0,120}\brunat\s*=\s*["']?server/ nocase
    condition:
        uint32(0) == 0x4E444221 and $server_script
}
