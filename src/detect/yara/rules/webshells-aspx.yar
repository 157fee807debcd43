// exhunt built-in YARA rules: web shells seen on Exchange servers' IIS: ASP.NET pages, handlers and
// web services, plus the web.config and classic ASP forms.
// Written for exhunt from public descriptions of each family (the references in each rule's meta);
// no string or condition is taken from another rule set.
// External variables: filename, filepath, extension (lower case, no dot). No modules.
// Request-input shapes used below: `Request[`, `Request.Item[`, `Request.Form[`, `Request.Form.Get(`,
// `Request.BinaryRead(`, `Context.Request.Headers[` ... with any spacing and letter case.

rule exhunt_webshell_china_chopper
{
    meta:
        description = "A China Chopper style one-line web shell: a page that runs whatever script code the attacker sends in a request parameter."
        family = "China Chopper"
        severity = "critical"
        stage = "compromise"
        reference = "https://www.cisa.gov/news-events/cybersecurity-advisories/aa21-062a"
        author = "exhunt"
    strings:
        // eval( ... Request ...: the request value (possibly wrapped in decoders) is evaluated.
        $eval_request = /\beval\s*\(([^;)]{0,160}[(\s,+])?Request\s*(\.\s*\w{2,16}\s*)?[\[(]/ nocase ascii wide
        // eval(x, "unsafe") is JScript.NET only: full trust evaluation of a string.
        $eval_unsafe = /\beval\s*\([^;]{1,300},\s*["']un(["']\s*\+\s*["'])?safe["']\s*\)/ nocase ascii wide
        // eval(code, flag) with the flag in a variable: a second argument only means something in JScript.NET.
        $eval_two_args = /\beval\s*\(\s*[\w.]{1,40}\s*,\s*[\w.]{1,40}\s*\)/ nocase ascii wide
        // The same with /*...*/ comments between the tokens, or the flag spelled as joined pieces ("u"+"n"+...).
        $eval_two_args_hidden = /\beval\s*\(\s*(\/\*[^\r\n]{0,24}?\*\/\s*)?[\w.]{1,40}\s*(\/\*[^\r\n]{0,24}?\*\/\s*)?,\s*(\/\*[^\r\n]{0,24}?\*\/\s*)?("\w{0,6}"\s*\+|[\w.]{1,40}\s*(\/\*[^\r\n]{0,24}?\*\/\s*)?\))/ nocase ascii wide
        // The page or script block is JScript.
        $jscript = /language\s*=\s*["']?\s*J(ava)?Script\b/ nocase ascii wide
        $jscript_page = /<%@\s*Page\b[^>]{0,200}\bLanguage\s*=\s*["']?\s*J(ava)?Script\b/ nocase ascii wide
        $jscript_block_a = /<script\b[^>]{0,120}\brunat\s*=\s*["']?server\b[^>]{0,120}\blanguage\s*=\s*["']?\s*J(ava)?Script\b/ nocase ascii wide
        $jscript_block_b = /<script\b[^>]{0,120}\blanguage\s*=\s*["']?\s*J(ava)?Script\b[^>]{0,120}\brunat\s*=\s*["']?server\b/ nocase ascii wide
        // The request accessor hidden in Base64 and decoded at run time.
        $b64_item = "Request.Item[" base64 base64wide
        $b64_form = "Request.Form[" base64 base64wide
        $b64_index = "Request[\"" base64 base64wide
        // The C# flavour: the JScript evaluator called from C# on a request value.
        $jse_request = /JScriptEvaluate\s*\([^;)]{0,120}\bRequest\s*(\.\s*\w{2,16}\s*)?[\[(]/ nocase ascii wide
    condition:
        filesize < 2MB and
        ($eval_request or $jse_request or ($eval_unsafe and $jscript) or
         ((1 of ($eval_two_args*) or 1 of ($b64_*)) and 1 of ($jscript_page, $jscript_block_a, $jscript_block_b)))
}

rule exhunt_webshell_aspx_request_assembly_load
{
    meta:
        description = "An ASP.NET page that loads a .NET program sent in the request straight into memory and runs it (AntSword and similar in-memory loaders)."
        family = "AntSword / in-memory .NET loader"
        severity = "critical"
        stage = "compromise"
        reference = "https://github.com/AntSwordProject/antSword"
        author = "exhunt"
    strings:
        $load_request = /Assembly\s*\.\s*Load\s*\([^;]{0,200}\bRequest\s*(\.\s*\w{2,16}\s*)?[\[(]/ nocase ascii wide
    condition:
        filesize < 2MB and $load_request
}

rule exhunt_webshell_aspx_command_exec
{
    meta:
        description = "An ASP.NET page or handler that runs cmd.exe, PowerShell or another program with a command taken from the web request or a form on the page, and sends back the output."
        family = "Generic command shell"
        severity = "critical"
        stage = "compromise"
        reference = "https://attack.mitre.org/techniques/T1505/003/"
        author = "exhunt"
    strings:
        $start_request = /Process\s*\.\s*Start\s*\([^;]{0,200}\bRequest\s*(\.\s*\w{2,16}\s*)?[\[(]/ nocase ascii wide
        $psi_request = /ProcessStartInfo\s*\([^;]{0,200}\bRequest\s*(\.\s*\w{2,16}\s*)?[\[(]/ nocase ascii wide
        $args_request = /\.\s*Arguments\s*=[^;]{0,200}\bRequest\s*(\.\s*\w{2,16}\s*)?[\[(]/ nocase ascii wide
        $stdin_request = /StandardInput\s*\.\s*Write(Line)?\s*\([^;]{0,80}\bRequest\s*(\.\s*\w{2,16}\s*)?[\[(]/ nocase ascii wide
        $psi_shell = /ProcessStartInfo\s*\(\s*@?["'][^"']{0,60}\b(cmd|powershell|pwsh)(\.exe)?["']/ nocase ascii wide
        $filename_shell = /FileName\s*=\s*@?["'][^"']{0,60}\b(cmd|powershell|pwsh)(\.exe)?["']/ nocase ascii wide
        $request_value = /\bRequest\s*(\.\s*(Form|QueryString|Item|Params|Headers|Cookies)\s*)?[\[(]\s*["']/ nocase ascii wide
        // A program runner: a process with captured output whose program is a shell named on the page,
        // or whose program or arguments come from a page control (TextBox.Text, input.Value).
        $process_api = /\b(ProcessStartInfo|StartInfo)\b/ ascii wide
        $redirect_output = /RedirectStandardOutput\s*=\s*true/ nocase ascii wide
        $shell_named = /\b(cmd(\.exe)?\s+\/c\b|cmd\.exe|powershell\.exe)/ nocase ascii wide
        $control_driven = /(ProcessStartInfo\s*\(|\.\s*(FileName|Arguments)\s*=)\s*\w{1,40}\s*\.\s*(Text|Value)\b/ nocase ascii wide
        $asp_directive = /<%@\s*(Page|WebHandler|WebService)\b/ nocase ascii wide
        $asp_runat = /runat\s*=\s*["']?server/ nocase ascii wide
    condition:
        filesize < 2MB and
        ($start_request or $psi_request or $args_request or $stdin_request or
         (($psi_shell or $filename_shell) and $request_value) or
         ($process_api and $redirect_output and ($shell_named or $control_driven) and 1 of ($asp_*)))
}

rule exhunt_webshell_aspx_request_file_write
{
    meta:
        description = "An ASP.NET page that saves an uploaded file, or text from the request, to a file name or folder chosen by the request, so an attacker can write any file such as another web shell (SIMPLESEESHARP style)."
        family = "SIMPLESEESHARP / file writer"
        severity = "high"
        stage = "compromise"
        reference = "https://www.volexity.com/blog/2021/03/02/active-exploitation-of-microsoft-exchange-zero-day-vulnerabilities/"
        author = "exhunt"
    strings:
        $files = /Request\s*\.\s*Files\s*[\[.]/ nocase ascii wide
        $posted = "HttpPostedFile" nocase ascii wide
        $saveas = /\.\s*SaveAs\s*\(/ nocase ascii wide
        // The destination of SaveAs (or the folder/combine feeding it) comes from a request field.
        $saveas_request = /\.\s*SaveAs\s*\([^;]{0,200}\bRequest\s*(\.\s*(Headers|Form|QueryString|Params|Item|Cookies|ServerVariables)\b|\[)/ nocase ascii wide
        $mappath_request = /MapPath\s*\([^;)]{0,120}\bRequest\s*(\.\s*(Headers|Form|QueryString|Params|Item|Cookies)\b|\[)/ nocase ascii wide
        $combine_request = /Path\s*\.\s*Combine\s*\([^;]{0,200}\bRequest\s*(\.\s*(Headers|Form|QueryString|Params|Item|Cookies)\b|\[)/ nocase ascii wide
        // A writer opened straight on a request-chosen path (C# or VB).
        $writer_request = /\b(StreamWriter|FileStream|File\s*\.\s*(WriteAll(Text|Bytes|Lines)|AppendAllText|Create))\s*\(\s*(Server\s*\.\s*MapPath\s*\(\s*)?Request\s*(\.\s*(Headers|Form|QueryString|Params|Item|Cookies)\b|\[)/ nocase ascii wide
        // The upload lands next to the page itself (so it can be browsed to) under the client's file name.
        $page_dir = /Request\s*\.\s*PhysicalPath\b|MapPath\s*\(\s*["']\.[\/\\]?["']\s*\)/ nocase ascii wide
        $client_name = /\.\s*FileName\b/ ascii wide
        $file_stream = /new\s+FileStream\s*\(/ ascii wide
    condition:
        filesize < 512KB and
        ($writer_request or
         (($files or $posted) and
          ($saveas_request or ($saveas and ($mappath_request or $combine_request)) or
           ($page_dir and $client_name and ($saveas or $file_stream)))))
}

rule exhunt_webshell_aspx_xslt_script
{
    meta:
        description = "An ASP.NET or classic ASP page that hides its commands inside an XSLT stylesheet with an embedded script block and runs it with scripting enabled, a way to execute code without the usual shell keywords in the page itself."
        family = "XSLT script web shell"
        severity = "critical"
        stage = "compromise"
        reference = "https://learn.microsoft.com/en-us/dotnet/standard/data/xml/xslt-security-considerations"
        author = "exhunt"
    strings:
        $msxsl_script = /<msxsl:script\b/ nocase ascii wide
        $enable_script = /EnableScript\s*=\s*true/ nocase ascii wide
        $settings_script = /new\s+XsltSettings\s*\(\s*(true|false)\s*,\s*true\s*\)/ nocase ascii wide
        $settings_trusted = /XsltSettings\s*\.\s*TrustedXslt\b/ ascii wide
        $transform = /XslCompiledTransform|XslTransform/ ascii wide
        // Classic ASP: MSXML runs msxsl:script blocks without being asked.
        $transform_node = /\.\s*TransformNode(ToObject)?\s*\(/ nocase ascii wide
        $exec_wscript = "WScript.Shell" nocase ascii wide
        $exec_process = /Process\s*\.\s*Start\s*\(|ProcessStartInfo/ ascii wide
        $exec_request = /\bRequest\s*(\.\s*(Item|Form|QueryString|Params|Headers)\s*)?[\[(]/ nocase ascii wide
        $exec_eval = /\beval\s*\(/ nocase ascii wide
    condition:
        filesize < 1MB and $msxsl_script and 1 of ($exec_*) and
        (($transform and ($enable_script or $settings_script or $settings_trusted)) or $transform_node)
}

rule exhunt_webshell_webconfig_script
{
    meta:
        description = "A web.config file that also contains script code and tells IIS to run .config files as pages, so the configuration file itself becomes a web shell."
        family = "web.config web shell"
        severity = "critical"
        stage = "compromise"
        reference = "https://soroush.me/blog/2019/08/uploading-web-config-for-fun-and-profit-2/"
        author = "exhunt"
    strings:
        $configuration = /<configuration\b/ nocase ascii wide
        $code_block = /<%\s*[^@\s]/ ascii wide
        $map_config = /\bpath\s*=\s*["']\*?\.config["']/ nocase ascii wide
        $map_asp = /scriptProcessor\s*=\s*["'][^"']{0,120}\basp\.dll["']/ nocase ascii wide
        $unhide_ext = /<remove\s+fileExtension\s*=\s*["']\.config["']/ nocase ascii wide
        $unhide_seg = /<remove\s+segment\s*=\s*["']web\.config["']/ nocase ascii wide
        $run_request = /\bRequest\s*(\.\s*(Form|QueryString|Item|Params)\s*)?[\[(]/ nocase ascii wide
        $run_shell = /WScript\.Shell|\beval\s*\(|\bExecute(Global)?\s*\(/ nocase ascii wide
    condition:
        filesize < 256KB and $configuration and $code_block and 1 of ($run_*) and
        (($map_config and $map_asp) or 1 of ($unhide_*))
}

rule exhunt_webshell_aspxspy
{
    meta:
        description = "ASPXSpy, a full-featured web shell page with a file manager, command runner and database browser that attackers leave on IIS servers."
        family = "ASPXSpy"
        severity = "critical"
        stage = "compromise"
        reference = "https://attack.mitre.org/software/S0073/"
        author = "exhunt"
    strings:
        $title = "ASPXSpy" nocase ascii wide
        // Its controls and client-side helpers all carry the Bin_ prefix.
        $bin_postback = "Bin_PostBack" ascii wide
        $bin_button = /Bin_Button_(KillMe|Login|Logout|CreateFile|CreateDir|Upload|Exec|Shell)/ ascii wide
        $bin_span = /Bin_Span_(Sname|FrameVersion|Drv)/ ascii wide
        $bin_list = /Bin_List_(Exec|Shell|Sql)/ ascii wide
        $iis_meta = "IIS://localhost/W3SVC" nocase ascii wide
    condition:
        filesize < 2MB and
        (2 of ($bin_*) or ($title and (1 of ($bin_*) or $iis_meta)))
}

rule exhunt_webshell_godzilla_aspx
{
    meta:
        description = "A Godzilla web shell page: it decrypts an AES-encrypted .NET payload from the request, keeps it in the session and runs attacker modules with it."
        family = "Godzilla"
        severity = "critical"
        stage = "compromise"
        reference = "https://github.com/BeichenDream/Godzilla"
        author = "exhunt"
    strings:
        $session_payload = /Session\s*\[\s*["']payload["']\s*\]/ nocase ascii wide
        $create_ly = /CreateInstance\s*\(\s*["']LY["']\s*\)/ ascii wide
        $load_by_reflection = /GetMethod\s*\(\s*["']Load["']/ ascii wide
        $decryptor = "CreateDecryptor" ascii wide
        $md5 = /MD5(CryptoServiceProvider|\s*\.\s*Create)/ ascii wide
        // The response is framed with the two halves of md5(pass + key).
        $md5_head = /\.\s*Substring\s*\(\s*0\s*,\s*16\s*\)/ ascii wide
        $md5_tail = /\.\s*Substring\s*\(\s*16\s*\)/ ascii wide
        $pass_key = /GetBytes\s*\(\s*\w{1,24}\s*\+\s*\w{1,24}\s*\)/ ascii wide
    condition:
        filesize < 1MB and
        (($create_ly and ($session_payload or $load_by_reflection)) or
         ($session_payload and $decryptor and $md5 and ($md5_head or $md5_tail) and ($pass_key or $load_by_reflection)))
}

rule exhunt_webshell_behinder_aspx
{
    meta:
        description = "A Behinder (Ice Scorpion) web shell page: it AES-decrypts the raw request body with a key kept in the session and loads the result as a .NET program."
        family = "Behinder"
        severity = "critical"
        stage = "compromise"
        reference = "https://github.com/rebeyond/Behinder"
        author = "exhunt"
    strings:
        $create_u = /CreateInstance\s*\(\s*["']U["']\s*\)\s*\.\s*Equals\s*\(\s*this\s*\)/ ascii wide
        $session_key = /Session\s*\.\s*Add\s*\(\s*["']\w{1,8}["']\s*,\s*["'][0-9a-f]{16}["']/ nocase ascii wide
        $session_zero = /Session\s*\[\s*0\s*\]/ ascii wide
        $body = /Request\s*\.\s*BinaryRead\s*\(\s*Request\s*\.\s*(ContentLength|TotalBytes)/ nocase ascii wide
        $decrypt_kk = /CreateDecryptor\s*\(\s*\w{1,16}\s*,\s*\w{1,16}\s*\)\s*\.\s*TransformFinalBlock/ ascii wide
        $load = /Assembly\s*\.\s*Load\s*\(/ ascii wide
    condition:
        filesize < 512KB and
        ($create_u or ($load and $decrypt_kk and $body and ($session_key or $session_zero)))
}

rule exhunt_webshell_aspx_aes_assembly_loader
{
    meta:
        description = "An ASP.NET page or handler that decrypts data from the request and loads it as a .NET program: the core of encrypted web shells other than the named families."
        family = "Encrypted in-memory loader"
        severity = "critical"
        stage = "compromise"
        reference = "https://www.microsoft.com/en-us/security/blog/2021/02/11/web-shell-attacks-continue-to-rise/"
        author = "exhunt"
    strings:
        $cipher = /\b(RijndaelManaged|AesManaged|AesCryptoServiceProvider|Aes\s*\.\s*Create|TripleDES\w*|DESCryptoServiceProvider)\b/ ascii wide
        $decryptor = "CreateDecryptor" ascii wide
        $load = /Assembly\s*\.\s*Load\s*\(/ ascii wide
        $load_by_reflection = /GetMethod\s*\(\s*["']Load["']/ ascii wide
        $body = /Request\s*\.\s*(BinaryRead|InputStream|Form\s*\[|Headers\s*\[|Cookies\s*\[)/ nocase ascii wide
        $body_item = /Request\s*\[\s*["']?\w/ nocase ascii wide
    condition:
        filesize < 1MB and $cipher and $decryptor and ($load or $load_by_reflection) and ($body or $body_item) and
        not exhunt_webshell_godzilla_aspx and not exhunt_webshell_behinder_aspx
}

// Classic ASP (VBScript) cousin of the one-liners above: IIS runs it only where ASP is installed,
// but attackers drop it on Exchange servers all the same.
rule exhunt_webshell_classic_asp_eval_request
{
    meta:
        description = "A classic ASP one-line web shell: a page that runs whatever VBScript the attacker sends in a request parameter, often hidden by writing it backwards, encoding it or saving the page as UTF-7."
        family = "China Chopper (classic ASP)"
        severity = "high"
        stage = "compromise"
        reference = "https://attack.mitre.org/software/S0020/"
        author = "exhunt"
    strings:
        $code_block = "<%" ascii wide
        // VBScript reads request values with parentheses: request("x"), Request.Form("x").
        $exec_request = /\b(Eval|Execute|ExecuteGlobal)\b\s*\(?\s*Request\s*(\.\s*(Form|QueryString|Item)\s*)?\(/ nocase ascii wide
        // "eval request" / "execute request" written backwards for StrReverse.
        $reversed = /tseuqer\s*(lave|etucexe)\b/ nocase ascii wide
        $exec_strreverse = /\b(Eval|Execute|ExecuteGlobal)\b\s*\(?\s*StrReverse\s*\(/ nocase ascii wide
        $any_request = /\bRequest\s*(\.\s*(Form|QueryString|Item)\s*)?\(/ nocase ascii wide
        // Execute of a string literal run through a decoding function built on Chr().
        $exec_decoded = /\b(Execute|ExecuteGlobal|Eval)\b\s*\(?\s*\w{1,30}\s*\(\s*"[^"\r\n]{24,}"\s*\)/ nocase ascii wide
        $chr = /\bChrW?\s*\(/ nocase ascii wide
        // The request value parked in the session first, then executed from there.
        $exec_session = /\b(Execute|ExecuteGlobal|Eval)\b\s*\(?\s*Session\s*\(/ nocase ascii wide
        // MSScriptControl driven by hand: request objects handed in, then a statement executed.
        $add_object = /\.\s*AddObject\b/ nocase ascii wide
        $exec_statement = /\.\s*ExecuteStatement\s*\(/ nocase ascii wide
        // Code page 65000 (UTF-7): the page body is UTF-7 text that no scanner reads as script.
        $utf7_codepage = /<%@\s*codepage\s*=\s*65000\b/ nocase ascii wide
        // ASP.NET pages are left to the rules above.
        $aspnet_directive = /<%@\s*(Page|WebHandler|WebService|Control|Master)\b/ nocase ascii wide
    condition:
        filesize < 1MB and $code_block and not $aspnet_directive and
        ($exec_request or $reversed or $utf7_codepage or ($exec_strreverse and $any_request) or ($exec_decoded and $chr) or
         ($exec_session and $any_request) or ($add_object and $exec_statement))
}
