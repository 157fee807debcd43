// exhunt built-in YARA rules: HTTP-to-TCP tunnel pages (reGeorg, Neo-reGeorg, Tunna and look-alikes)
// that attackers drop on an Exchange server to reach the internal network through its web site.
// Written for exhunt from the tools' public descriptions cited in each rule's meta.
// External variables: filename, filepath, extension (lower case, no dot). No modules.

rule exhunt_tunnel_regeorg_aspx
{
    meta:
        description = "A reGeorg or Neo-reGeorg tunnel page: it opens network connections for the attacker and relays their traffic through ordinary web requests (CONNECT, READ, FORWARD, DISCONNECT)."
        family = "reGeorg / Neo-reGeorg"
        severity = "high"
        stage = "compromise"
        reference = "https://github.com/sensepost/reGeorg"
        author = "exhunt"
    strings:
        $asp_directive = /<%@\s*(Page|WebHandler)\b/ nocase ascii wide
        $asp_runat = /runat\s*=\s*["']?server/ nocase ascii wide
        $asp_handler = "IHttpHandler" ascii wide
        $socket = /new\s+(System\s*\.\s*Net\s*\.\s*Sockets\s*\.\s*)?Socket\s*\(/ ascii wide
        $cmd_connect = "\"CONNECT\"" ascii wide
        $cmd_disconnect = "\"DISCONNECT\"" ascii wide
        $cmd_forward = "\"FORWARD\"" ascii wide
        $cmd_read = "\"READ\"" ascii wide
        $hdr_status = "X-STATUS" nocase ascii wide
        $hdr_cmd = "X-CMD" nocase ascii wide
        $hdr_target = "X-TARGET" nocase ascii wide
        $hdr_error = "X-ERROR" nocase ascii wide
        $banner = /Georg says/ nocase ascii wide
        $neo_codec = /\bblv_(de|en)code\b/ nocase ascii wide
        $neo_table = /Application\s*(\[|\.\s*(Add|Remove)\s*\()\s*\w{1,16}\s*[\],)]/ ascii wide
    condition:
        filesize < 512KB and 1 of ($asp_*) and $socket and
        ((3 of ($cmd_*) and (1 of ($hdr_*) or $banner or 1 of ($neo_*))) or
         (2 of ($cmd_*) and 2 of ($hdr_*)))
}

rule exhunt_tunnel_tunna_aspx
{
    meta:
        description = "A Tunna tunnel page: it connects to an internal address and port given in the request and passes the attacker's network traffic through web requests."
        family = "Tunna"
        severity = "high"
        stage = "compromise"
        reference = "https://github.com/SECFORCE/Tunna"
        author = "exhunt"
    strings:
        $socket = /new\s+(System\s*\.\s*Net\s*\.\s*Sockets\s*\.\s*)?Socket\s*\(/ ascii wide
        $param_port = /Request\s*(\.\s*(QueryString|Form|Params)\s*)?\[\s*"port"\s*\]/ nocase ascii wide
        $param_ip = /Request\s*(\.\s*(QueryString|Form|Params)\s*)?\[\s*"ip"\s*\]/ nocase ascii wide
        $session_port = /Session\s*\[\s*"port"\s*\]/ nocase ascii wide
        $session_ip = /Session\s*\[\s*"ip"\s*\]/ nocase ascii wide
        $state_running = /Session\s*\[\s*"running"\s*\]/ nocase ascii wide
        $state_proxy = /Query\s*\.\s*StartsWith\s*\(\s*"\?proxy/ nocase ascii wide
        $state_banner = "[Server]" ascii wide
        $body_read = /Request\s*\.\s*BinaryRead\s*\(/ nocase ascii wide
    condition:
        filesize < 512KB and $socket and 1 of ($param_*) and 3 of ($param_*, $session_*) and 1 of ($state_*, $body_read)
}

rule exhunt_tunnel_aspx_socket_relay
{
    meta:
        description = "An ASP.NET page or handler that keeps network connections open between requests and copies request bodies into them: a home-made tunnel into the internal network."
        family = "Generic HTTP tunnel"
        severity = "high"
        stage = "compromise"
        reference = "https://attack.mitre.org/techniques/T1572/"
        author = "exhunt"
    strings:
        $asp_directive = /<%@\s*(Page|WebHandler)\b/ nocase ascii wide
        $asp_runat = /runat\s*=\s*["']?server/ nocase ascii wide
        $asp_handler = "IHttpHandler" ascii wide
        $new_socket = /new\s+(System\s*\.\s*Net\s*\.\s*Sockets\s*\.\s*)?(Socket|TcpClient)\s*\(/ ascii wide
        // The connection survives the request: stored in Session, Application or the cache.
        $kept = /\(\s*(System\s*\.\s*Net\s*\.\s*Sockets\s*\.\s*)?(Socket|TcpClient|NetworkStream)\s*\)\s*(\w+\s*\.\s*)?(Session|Application|Cache)\s*\[/ ascii wide
        $kept_as = /(Session|Application|Cache)\s*\[[^\]]{1,40}\]\s*as\s+(Socket|TcpClient|NetworkStream)\b/ ascii wide
        $request_body = /Request\s*\.\s*(InputStream|BinaryRead\s*\()/ nocase ascii wide
        $socket_send = /\.\s*(Send|Write|BeginSend)\s*\(/ ascii wide
        $response_binary = /Response\s*\.\s*(BinaryWrite|OutputStream\s*\.\s*Write)\s*\(/ nocase ascii wide
    condition:
        filesize < 512KB and 1 of ($asp_*) and $new_socket and 1 of ($kept*) and
        $request_body and $socket_send and $response_binary and
        not exhunt_tunnel_regeorg_aspx and not exhunt_tunnel_tunna_aspx
}
