// exhunt built-in YARA rules: web shells seen on Exchange servers' IIS: ASP.NET pages, handlers and
// web services, plus the web.config, classic ASP and image-disguised forms.
// Written for exhunt from public descriptions of each family (the references in each rule's meta);
// no string or condition is taken from another rule set.
// External variables: filename, filepath, extension (lower case, no dot). No modules.
// Request-input shapes used below: `Request[`, `Request.Item[`, `Request.Form[`, `Request.Form.Get(`,
// `Request.BinaryRead(`, `Context.Request.Headers[` ... with any spacing and letter case; VB and
// VBScript index with parentheses: `Request("x")`, `Request.Form("x")`, `Request.Files(0)`.

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
        $eval_two_args_hidden = /\beval\s*\(\s*(\/\*[^\r\n]{0,24}\*\/\s*)?[\w.]{1,40}\s*(\/\*[^\r\n]{0,24}\*\/\s*)?,\s*(\/\*[^\r\n]{0,24}\*\/\s*)?("\w{0,6}"\s*\+|[\w.]{1,40}\s*(\/\*[^\r\n]{0,24}\*\/\s*)?\))/ nocase ascii wide
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
        description = "An ASP.NET page that saves an uploaded file, or text from the request, to a file name or folder chosen by the request or typed into the page's own form, so an attacker can write any file such as another web shell (SIMPLESEESHARP style)."
        family = "SIMPLESEESHARP / file writer"
        severity = "high"
        stage = "compromise"
        reference = "https://www.volexity.com/blog/2021/03/02/active-exploitation-of-microsoft-exchange-zero-day-vulnerabilities/"
        author = "exhunt"
    strings:
        $files = /Request\s*\.\s*Files\s*[\[.(]/ nocase ascii wide
        $posted = "HttpPostedFile" nocase ascii wide
        $saveas = /\.\s*SaveAs\s*\(/ nocase ascii wide
        // The destination of SaveAs (or the folder/combine feeding it) comes from a request field:
        // Request["f"] in C#, Request("f") in VB. The statement ends at ";" or, in VB, at the line end.
        $saveas_request = /\.\s*SaveAs\s*\([^;\r\n]{0,200}\bRequest\s*(\.\s*(Headers|Form|QueryString|Params|Item|Cookies|ServerVariables)\b|[\[(])/ nocase ascii wide
        $mappath_request = /MapPath\s*\([^;)\r\n]{0,120}\bRequest\s*(\.\s*(Headers|Form|QueryString|Params|Item|Cookies)\b|[\[(])/ nocase ascii wide
        $combine_request = /Path\s*\.\s*Combine\s*\([^;\r\n]{0,200}\bRequest\s*(\.\s*(Headers|Form|QueryString|Params|Item|Cookies)\b|[\[(])/ nocase ascii wide
        // A writer opened straight on a request-chosen path (C# or VB).
        $writer_request = /\b(StreamWriter|FileStream|File\s*\.\s*(WriteAll(Text|Bytes|Lines)|AppendAllText|Create))\s*\(\s*(Server\s*\.\s*MapPath\s*\(\s*)?Request\s*(\.\s*(Headers|Form|QueryString|Params|Item|Cookies)\b|[\[(])/ nocase ascii wide
        // ... or on the text of a box of the page's form: the visitor types the path to write.
        $writer_control = /\b(StreamWriter|FileStream|File\s*\.\s*(WriteAll(Text|Bytes|Lines)|AppendAllText|Create))\s*\(\s*(Server\s*\.\s*MapPath\s*\(\s*)?((this|Me)\s*\.\s*)?\w{1,40}\s*\.\s*Text\s*[,)]/ nocase ascii wide
        $asp_directive = /<%@\s*(Page|WebHandler|WebService|Control)\b/ nocase ascii wide
        $asp_runat = /runat\s*=\s*["']?server/ nocase ascii wide
        // The upload lands next to the page itself (so it can be browsed to) under the client's file name.
        $page_dir = /Request\s*\.\s*PhysicalPath\b|MapPath\s*\(\s*["']\.[\/\\]?["']\s*\)/ nocase ascii wide
        $client_name = /\.\s*FileName\b/ ascii wide
        $file_stream = /new\s+FileStream\s*\(/ ascii wide
    condition:
        filesize < 512KB and
        ($writer_request or ($writer_control and 1 of ($asp_*)) or
         (($files or $posted) and
          ($saveas_request or ($saveas and ($mappath_request or $combine_request)) or
           ($page_dir and $client_name and ($saveas or $file_stream)))))
}

rule exhunt_webshell_aspx_sql_console
{
    meta:
        description = "An ASP.NET page that connects to a database with a connection string taken from the request or typed into its form and runs the SQL it is sent, a database console for the attacker."
        family = "SQL console web shell"
        severity = "high"
        stage = "compromise"
        reference = "https://attack.mitre.org/techniques/T1505/003/"
        author = "exhunt"
    strings:
        $db_api = /\b(Sql|OleDb|Odbc|MySql|Oracle)(Connection|Command|DataAdapter)\b/ ascii wide
        $db_run = /\.\s*(ExecuteReader|ExecuteNonQuery|ExecuteScalar|Fill)\s*\(/ ascii wide
        // The connection string: straight from the request or a form box, or a conn-named variable filled from the request.
        $conn_request = /(Connection\s*\(|\.\s*ConnectionString\s*=)\s*[^;)\r\n]{0,60}\bRequest\s*(\.\s*(Form|QueryString|Params|Item|Headers|Cookies)\s*)?[\[(]/ nocase ascii wide
        $conn_control = /(Connection\s*\(|\.\s*ConnectionString\s*=)\s*((this|Me)\s*\.\s*)?\w{1,40}\s*\.\s*Text\s*[,);\r\n]/ nocase ascii wide
        $conn_var = /\b(conn|connstr|connstring|connectionstring|constr|strconn|dsn)\s*=\s*([\w.]{1,30}\s*\(\s*)?Request\s*(\.\s*(Form|QueryString|Params|Item|Headers|Cookies)\s*)?[\[(]/ nocase ascii wide
        // The SQL text: the same shapes.
        $sql_request = /(Command\s*\(|DataAdapter\s*\(|\.\s*CommandText\s*=)\s*[^;)\r\n]{0,60}\bRequest\s*(\.\s*(Form|QueryString|Params|Item|Headers|Cookies)\s*)?[\[(]/ nocase ascii wide
        $sql_control = /(Command\s*\(|DataAdapter\s*\(|\.\s*CommandText\s*=)\s*((this|Me)\s*\.\s*)?\w{1,40}\s*\.\s*Text\s*[,);\r\n]/ nocase ascii wide
        $sql_var = /\b(sql|strsql|sqlstr|sqltext|query|cmdtext|commandtext)\s*=\s*([\w.]{1,30}\s*\(\s*)?Request\s*(\.\s*(Form|QueryString|Params|Item|Headers|Cookies)\s*)?[\[(]/ nocase ascii wide
        // A page or handler (a desktop SQL tool's source with the same calls is not a web shell).
        $asp_directive = /<%@\s*(Page|WebHandler|WebService|Control)\b/ nocase ascii wide
        $asp_runat = /runat\s*=\s*["']?server/ nocase ascii wide
    condition:
        filesize < 1MB and 1 of ($asp_*) and $db_api and $db_run and 1 of ($conn_*) and 1 of ($sql_*)
}

rule exhunt_webshell_aspx_writable_dir_scan
{
    meta:
        description = "An ASP.NET page that walks the disk from a folder or drive the visitor chooses and tries to create a file in every folder, listing where it can write: an attacker's tool for finding places to drop more files."
        family = "Writable-folder scanner"
        severity = "high"
        stage = "compromise"
        reference = "https://attack.mitre.org/techniques/T1083/"
        author = "exhunt"
    strings:
        $asp_directive = /<%@\s*(Page|WebHandler|WebService|Control)\b/ nocase ascii wide
        $asp_runat = /runat\s*=\s*["']?server/ nocase ascii wide
        $subdirs = /\.\s*GetDirectories\s*\(/ ascii wide
        // The probe: File.Create(...).CanWrite, or a test file written into each folder walked and deleted.
        $probe_canwrite = /(File\s*\.\s*(Create|Open|OpenWrite)|new\s+FileStream)\s*\([^;]{1,160}\)\s*\.\s*CanWrite\b/ ascii wide
        $probe_file = /File\s*\.\s*(Create|WriteAllText|WriteAllBytes|AppendAllText|OpenWrite)\s*\(\s*(Path\s*\.\s*Combine\s*\(\s*)?\w{1,30}\s*\.\s*FullName\b/ ascii wide
        $probe_delete = /File\s*\.\s*Delete\s*\(/ ascii wide
        // Where the walk starts: a form box, the request, or every drive.
        $root_input = /new\s+DirectoryInfo\s*\(\s*(((this|Me)\s*\.\s*)?\w{1,40}\s*\.\s*Text\b|Request\s*(\.\s*\w{2,16}\s*)?[\[(])/ nocase ascii wide
        $root_drives = /(DriveInfo\s*\.\s*GetDrives|GetLogicalDrives)\s*\(/ ascii wide
    condition:
        filesize < 1MB and 1 of ($asp_*) and $subdirs and
        ($probe_canwrite or ($probe_file and $probe_delete)) and 1 of ($root_*)
}

rule exhunt_webshell_aspx_db_dump
{
    meta:
        description = "An ASP.NET page with database credentials written into it that lifts the time limit and writes every table, column and row of its query to the response: a page planted to steal a database in one request."
        family = "Database dump page"
        severity = "medium"
        stage = "compromise"
        reference = "https://attack.mitre.org/techniques/T1213/"
        author = "exhunt"
    strings:
        $asp_directive = /<%@\s*(Page|WebHandler)\b/ nocase ascii wide
        $asp_runat = /runat\s*=\s*["']?server/ nocase ascii wide
        // No time limit: a six-digit-or-more timeout or the largest integer.
        $timeout_max = /ScriptTimeout\s*=\s*(\d{6,12}|int\s*\.\s*MaxValue|Int32\s*\.\s*MaxValue|Integer\s*\.\s*MaxValue)\b/ nocase ascii wide
        // A user name and password inside a string literal (not read from configuration).
        $inline_creds = /"[^"\r\n]{0,160}\b(Uid|User\s?Id)\s*=[^";\r\n]{1,64};[^"\r\n]{0,120}\b(Pwd|Password)\s*=[^";\r\n]{1,64}/ nocase ascii wide
        // Every table, every column, every row.
        $all_tables = /\.\s*Tables\s*\.\s*Count\b/ ascii wide
        $all_columns = /\.\s*Columns\s*\.\s*Count\b/ ascii wide
        $rows_out = /Response\s*\.\s*Write\s*\(\s*\w{1,30}\s*\.\s*Rows\s*[\[(]/ ascii wide
    condition:
        filesize < 512KB and 1 of ($asp_*) and $timeout_max and $inline_creds and
        $all_tables and $all_columns and $rows_out
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
        description = "A classic ASP one-line web shell: a page that runs whatever VBScript the attacker sends in a request parameter, often passed through a variable, written backwards, encoded or saved as UTF-7."
        family = "China Chopper (classic ASP)"
        severity = "high"
        stage = "compromise"
        reference = "https://attack.mitre.org/software/S0020/"
        author = "exhunt"
    strings:
        $code_block = "<%" ascii wide
        // VBScript reads request values with parentheses: request("x"), Request.Form("x").
        $exec_request = /\b(Eval|Execute|ExecuteGlobal)\b\s*\(?\s*(""\s*&\s*)?Request\s*(\.\s*(Form|QueryString|Item)\s*)?\(/ nocase ascii wide
        // The request value put in a variable (and maybe copied to another) that a statement a few
        // lines on executes: x = Request("p") ... Execute x. "conn.Execute sql" is a method call, not
        // a statement, so the executing keyword must start the statement (line, ":", "<%" or Then).
        $exec_request_var = /\b\w{1,30}\s*=\s*(\w{1,20}\s*\(\s*)?Request\s*(\.\s*(Form|QueryString|Item|Cookies)\s*)?\([\s\S]{0,300}([\r\n:]|<%|\bThen)[ \t]*(Eval|Execute|ExecuteGlobal)[ \t]*\(?[ \t]*(""[ \t]*&[ \t]*)?\w{1,30}[ \t]*(&[ \t]*""[ \t]*)?\)?[ \t]*(%>|[\r\n:;'])/ nocase ascii wide
        // Code read from a file (a home-made include) is what such a page executes, not the request.
        $code_from_file = /\.\s*(ReadAll|ReadText)\b/ nocase ascii wide
        // "eval request" / "execute request" written backwards for StrReverse.
        $reversed = /tseuqer\s*(lave|etucexe)\b/ nocase ascii wide
        $exec_strreverse = /\b(Eval|Execute|ExecuteGlobal)\b\s*\(?\s*StrReverse\s*\(/ nocase ascii wide
        $any_request = /\bRequest\s*(\.\s*(Form|QueryString|Item)\s*)?\(/ nocase ascii wide
        // Execute of a string literal run through a decoding function built on Chr(), maybe with a key.
        $exec_decoded = /\b(Execute|ExecuteGlobal|Eval)\b\s*\(?\s*\w{1,30}\s*\(\s*"[^"\r\n]{24,}"\s*(,\s*"[^"\r\n]{1,40}"\s*)?\)/ nocase ascii wide
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
        ($exec_request or ($exec_request_var and not $code_from_file) or $reversed or $utf7_codepage or ($exec_strreverse and $any_request) or ($exec_decoded and $chr) or
         ($exec_session and $any_request) or ($add_object and $exec_statement))
}

rule exhunt_webshell_asp_wscript_exec
{
    meta:
        description = "A classic ASP or VB ASP.NET page that runs a command taken from the request through WScript.Shell (Exec or Run), usually sending its output back."
        family = "Generic command shell (WScript.Shell)"
        severity = "critical"
        stage = "compromise"
        reference = "https://attack.mitre.org/techniques/T1505/003/"
        author = "exhunt"
    strings:
        $wsh = /WScript\s*\.\s*Shell/ nocase ascii wide
        // .Exec(Request("c")) / .Run(Request.Form("c")), maybe after a literal prefix on the same line.
        $exec_request = /\.\s*(Exec|Run)\b\s*\(?\s*[^\r\n]{0,60}\bRequest\s*(\.\s*\w{2,16}\s*){0,3}[\[(]/ nocase ascii wide
        // "cmd /c " & x handed to the shell, whose output is read back for the page.
        // (VB.NET also takes the curly quotes \u201c \u201d as string delimiters.)
        $cmd_concat = /("|\xe2\x80\x9c)\s*cmd(\.exe)?\s+\/[ck]\s*("|\xe2\x80\x9d)\s*[&+]/ nocase ascii wide
        $stdout = /\.\s*StdOut\s*\.\s*Read(All|Line)?\b/ nocase ascii wide
        $any_request = /\bRequest\s*(\.\s*(Form|QueryString|Item|Params|Cookies|ServerVariables)\s*)?[\[(]/ nocase ascii wide
        // x = Request("c") then, a few lines on, .Exec(x) or .Exec("prefix " & x).
        $request_var_exec = /=\s*(Trim\s*\(\s*)?Request\s*(\.\s*(Form|QueryString|Item|Cookies|ServerVariables)\s*)?\([\s\S]{0,200}\.\s*Exec\b\s*\(?\s*("[^"\r\n]{0,40}"\s*&\s*)?\w{1,30}\s*[)\r\n]/ nocase ascii wide
    condition:
        filesize < 1MB and $wsh and
        ($exec_request or ($stdout and (($cmd_concat and $any_request) or $request_var_exec)))
}

rule exhunt_webshell_classic_asp_fso_file_write
{
    meta:
        description = "A classic ASP file writer: a page that creates or appends to a file whose name comes from the request through Scripting.FileSystemObject, so an attacker can drop any page or script on the server."
        family = "Classic ASP file writer"
        severity = "high"
        stage = "compromise"
        reference = "https://attack.mitre.org/techniques/T1505/003/"
        author = "exhunt"
    strings:
        $code_block = "<%" ascii wide
        $fso = /Scripting\s*\.\s*FileSystemObject/ nocase ascii wide
        // The request value is the path itself: CreateTextFile(Request("f")), or OpenTextFile for writing (2) or appending (8).
        $create_request = /CreateTextFile\s*\(?\s*(Server\s*\.\s*MapPath\s*\(\s*)?(Trim\s*\(\s*)?Request\s*(\.\s*(Form|QueryString|Item)\s*)?\(/ nocase ascii wide
        $append_request = /OpenTextFile\s*\(?\s*(Server\s*\.\s*MapPath\s*\(\s*)?(Trim\s*\(\s*)?Request\s*(\.\s*(Form|QueryString|Item)\s*)?\([^\r\n]{0,80},\s*(2|8|ForWriting|ForAppending)\b/ nocase ascii wide
        // A variable named for a file, path or destination filled from the request, then opened for
        // writing a few lines on (a logger's path is a literal or Server.MapPath("..."), not a request value).
        $path_var_then_open = /\b\w{0,20}(file|path|fname|dest|target|save)\w{0,20}\s*=\s*(Trim\s*\(\s*)?Request\s*(\.\s*(Form|QueryString|Item)\s*)?\([\s\S]{0,300}(CreateTextFile\s*\(\s*(Server\s*\.\s*MapPath\s*\(\s*)?\w{1,30}\s*\)?\s*[,)]|OpenTextFile\s*\(\s*(Server\s*\.\s*MapPath\s*\(\s*)?\w{1,30}\s*\)?\s*,\s*(2|8|ForWriting|ForAppending)\b)/ nocase ascii wide
    condition:
        filesize < 1MB and $code_block and $fso and ($create_request or $append_request or $path_var_then_open)
}

rule exhunt_webshell_image_header_script
{
    meta:
        description = "A file that starts like a GIF image but carries ASP or ASP.NET server code, an image-disguised web shell made to pass upload checks that only look at the first bytes."
        family = "Image-disguised web shell"
        severity = "high"
        stage = "compromise"
        reference = "https://attack.mitre.org/techniques/T1036/008/"
        author = "exhunt"
    strings:
        // A code block that opens with a directive or a statement (random image bytes do not spell these).
        $asp_code = /<%[ \t\r\n]{0,8}(@\s*(Page|Language|WebHandler)\b|=?\s*((If|Dim|Set|Eval|Execute|CreateObject|On\s+Error)\b|(Response|Request|Server)\s*[.(\[]))/ nocase ascii wide
        $server_block = /<script\b[^>]{0,100}\brunat\s*=\s*["']?server/ nocase ascii wide
    condition:
        // "GIF87a" or "GIF89a" at offset 0.
        uint32(0) == 0x38464947 and (uint16(4) == 0x6137 or uint16(4) == 0x6139) and
        filesize < 2MB and ($asp_code or $server_block)
}
