// `exhunt mitigate` and the interim URL Rewrite mitigations: rendering (text, scripts, JSON), the
// round trip through findMitigationsInConfig, what makes a rule ineffective, and hostile config text.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mitigateCommand } from '../src/cli/commands/mitigate.js';
import type { Io } from '../src/cli/io.js';
import { UsageError } from '../src/core/errors.js';
import { findMitigationsInConfig } from '../src/exposure/mitigation-config.js';
import { MITIGATIONS, type Mitigation, mitigationsForCve, renderMitigation } from '../src/exposure/mitigations.js';

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: { write: (s) => void (stdout += s) }, stderr: { write: (s) => void (stderr += s) }, env: {} };
  const code = await mitigateCommand(argv, io);
  return { code, stdout, stderr };
}

const mitigation = (id: Mitigation['id']): Mitigation => MITIGATIONS.find((m) => m.id === id)!;
const webConfig = (rewrite: string): string => `<?xml version="1.0" encoding="UTF-8"?>\n<configuration>\n<system.webServer>\n${rewrite}\n</system.webServer>\n</configuration>\n`;
const rulesXml = (rules: string): string => webConfig(`<rewrite><rules>${rules}</rules></rewrite>`);
const rule = (o: { name?: string; attrs?: string; url?: string; input?: string; pattern?: string; condAttrs?: string; action?: string; more?: string }): string =>
  `<rule name="${o.name ?? 'r'}" ${o.attrs ?? ''}><match url="${o.url ?? '.*'}" /><conditions><add input="${o.input ?? '{UrlDecode:{REQUEST_URI}}'}" pattern="${o.pattern ?? '(?=.*autodiscover)(?=.*powershell)'}" ${o.condAttrs ?? ''}/>${o.more ?? ''}</conditions><action type="${o.action ?? 'AbortRequest'}" /></rule>`;
const EOMT_XML = renderMitigation(mitigation('eomt'), 'Default Web Site').webConfigXml;
const EOMTV2_XML = renderMitigation(mitigation('eomtv2'), 'Default Web Site').webConfigXml;

describe('exhunt mitigate', () => {
  test('text output for CVE-2021-26855 holds the exact rules, commands and sections in order', async () => {
    const r = await run(['--cve', 'CVE-2021-26855']);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
    const out = r.stdout;
    for (const s of [
      '<add input="{HTTP_COOKIE}" pattern="(.*)X-AnonResource-Backend(.*)" />',
      '<add input="{HTTP_COOKIE}" pattern="(.*)X-BEResource=(.+)/(.+)~(.+)" />',
      '<rule name="X-BEResource Abort - inbound" patternSyntax="ECMAScript" stopProcessing="true">',
      '<rule name="X-AnonResource-Backend Abort - inbound" patternSyntax="ECMAScript" stopProcessing="false">',
      `%windir%\\system32\\inetsrv\\appcmd.exe set config "Default Web Site" -section:system.webServer/rewrite/rules /+"[name='X-BEResource Abort - inbound'].conditions.[input='{HTTP_COOKIE}',pattern='(.*)X-BEResource=(.+)/(.+)~(.+)']"`,
      `%windir%\\system32\\inetsrv\\appcmd.exe set config "Default Web Site" -section:system.webServer/rewrite/rules /"[name='X-BEResource Abort - inbound'].action.type:AbortRequest"`,
      `%windir%\\system32\\inetsrv\\appcmd.exe list config "Default Web Site" -section:system.webServer/rewrite/rules`,
      "$site = 'IIS:\\Sites\\Default Web Site'",
      "Import-Module WebAdministration",
      'March 2021 SU KB5000871',
      'CVE-2021-26857, CVE-2021-26858, CVE-2021-27065',
      'URL Rewrite Module 2.1 (7.2.1993)',
      'exhunt never changes the server itself',
    ]) {
      assert.ok(out.includes(s), `missing: ${s}`);
    }
    const sections = ['== web.config ==', '== Apply with appcmd (elevated cmd.exe) ==', '== Apply with PowerShell (elevated) ==', '== Verify ==', '== Roll back (appcmd) ==', '== Roll back (PowerShell) =='];
    const at = sections.map((s) => out.indexOf(s));
    assert.ok(at.every((p) => p >= 0));
    assert.deepEqual([...at].sort((a, b) => a - b), at);
  });

  test('chain CVEs, any case, lead to the same mitigation; ProxyNotShell gets EOMTv2', async () => {
    for (const cve of ['cve-2021-26857', 'CVE-2021-26858', ' Cve-2021-27065 ']) {
      assert.deepEqual(mitigationsForCve(cve).map((m) => m.id), ['eomt']);
      assert.match((await run(['--cve', cve.trim()])).stdout, /X-BEResource Abort - inbound/);
    }
    const v2 = await run(['--cve', 'cve-2022-41082', '--format', 'xml']);
    assert.equal(v2.code, 0);
    assert.match(v2.stdout, /<add input="\{UrlDecode:\{REQUEST_URI\}\}" pattern="\(\?=\.\*autodiscover\)\(\?=\.\*powershell\)" \/>/);
    assert.doesNotMatch(v2.stdout, /X-BEResource/);
    assert.match((await run(['--cve', 'CVE-2022-41040'])).stdout, /bypassable/);
  });

  test('rollback removes exactly the rules apply added, in both shells', () => {
    for (const m of MITIGATIONS) {
      const r = renderMitigation(m, 'Default Web Site');
      const added = r.appcmdApply.flatMap((l) => [...l.matchAll(/\/\+"\[name='([^']+)',patternSyntax=/g)].map((x) => x[1]));
      const removed = r.appcmdRollback.map((l) => /\/-"\[name='([^']+)'\]"$/.exec(l)?.[1]);
      assert.deepEqual([...added].sort(), m.rules.map((x) => x.name).sort());
      assert.deepEqual([...removed].sort(), [...added].sort());
      const psAdded = [...r.powershellApply.matchAll(/-Filter 'system\.webServer\/rewrite\/rules' -Name '\.' -Value @\{ name = '([^']+)'/g)].map((x) => x[1]);
      const psRemoved = [...r.powershellRollback.matchAll(/-AtElement @\{ name = '([^']+)' \}/g)].map((x) => x[1]);
      assert.deepEqual([...psAdded].sort(), [...added].sort());
      assert.deepEqual([...psRemoved].sort(), [...added].sort());
      assert.doesNotMatch(r.powershellRollback, /Add-|Set-/);
    }
  });

  test('rule data fits between the single quotes appcmd and PowerShell use', () => {
    for (const m of MITIGATIONS) {
      for (const r of m.rules) for (const v of [r.name, r.matchUrl, r.conditionInput, r.conditionPattern]) assert.doesNotMatch(v, /['"%]/);
    }
  });

  test('--site is quoted for cmd.exe and PowerShell; unsafe names are usage errors', async () => {
    const r = await run(['--cve', 'CVE-2022-41040', '--site', "Bob's Site", '--format', 'powershell']);
    assert.ok(r.stdout.includes("$site = 'IIS:\\Sites\\Bob''s Site'"));
    const a = await run(['--cve', 'CVE-2022-41040', '--site', 'Exchange Back End', '-f', 'appcmd']);
    assert.ok(a.stdout.includes('appcmd.exe set config "Exchange Back End" -section:system.webServer/rewrite/rules /+"[name=\'PowerShell - inbound\','));
    assert.match(a.stdout, /^@rem %windir%.*\/-"\[name='PowerShell - inbound'\]"$/m);
    for (const site of ['Default"Web', '%TEMP%', 'Site*', '', 'a\nb']) await assert.rejects(run(['--cve', 'CVE-2022-41040', '--site', site]), UsageError);
    assert.throws(() => renderMitigation(mitigation('eomt'), 'x"y'), RangeError);
  });

  test('JSON output parses and carries the rendered commands', async () => {
    const r = await run(['--cve', 'cve-2021-26855', '--format', 'json']);
    const doc = JSON.parse(r.stdout) as { cve: string; site: string; mitigations: (Mitigation & { rendered: { appcmdApply: string[]; appcmdRollback: string[] } })[] };
    assert.equal(doc.cve, 'CVE-2021-26855');
    assert.equal(doc.site, 'Default Web Site');
    assert.deepEqual(doc.mitigations.map((m) => m.id), ['eomt']);
    assert.equal(doc.mitigations[0]!.rendered.appcmdApply.length, 8);
    assert.equal(doc.mitigations[0]!.rendered.appcmdRollback.length, 2);
    assert.equal(doc.mitigations[0]!.supersededBy, 'March 2021 SU KB5000871');
    const list = JSON.parse((await run(['--list', '-f', 'json'])).stdout) as Mitigation[];
    assert.deepEqual(list.map((m) => m.id), ['eomt', 'eomtv2']);
  });

  test('a CVE without a rewrite mitigation: one line, exit 1', async () => {
    const r = await run(['--cve', 'CVE-2021-34473']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout.trim().split('\n').length, 1);
    assert.match(r.stdout, /^CVE-2021-34473: .*no interim URL Rewrite mitigation.*Security Update/);
    const x = await run(['--cve', 'CVE-2023-21529', '--format', 'xml']);
    assert.equal(x.code, 1);
    assert.equal(x.stdout, '');
    assert.match(x.stderr, /CVE-2023-21529/);
    assert.deepEqual(JSON.parse((await run(['--cve', 'CVE-2023-21529', '-f', 'json'])).stdout).mitigations, []);
  });

  test('usage errors', async () => {
    for (const argv of [[], ['--cve', 'CVE-21-1'], ['--cve', '26855'], ['--cve', 'CVE-2021-26855', '--format', 'html'], ['--list', '--cve', 'CVE-2021-26855'], ['--list', '-f', 'xml'], ['--cve', 'CVE-2021-26855', 'extra'], ['--bogus']]) {
      await assert.rejects(run(argv), UsageError, argv.join(' '));
    }
    const h = await run(['--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /Exit codes: 0 .*, 1 no interim rewrite mitigation/);
  });
});

describe('findMitigationsInConfig', () => {
  test('the rendered web.config fragments round-trip to complete mitigations', () => {
    const eomt = findMitigationsInConfig(webConfig(EOMT_XML));
    assert.deepEqual(eomt, [{ id: 'eomt', complete: true, rulesFound: ['X-AnonResource-Backend Abort - inbound', 'X-BEResource Abort - inbound'], problems: [] }]);
    const v2 = findMitigationsInConfig(webConfig(EOMTV2_XML));
    assert.deepEqual(v2, [{ id: 'eomtv2', complete: true, rulesFound: ['PowerShell - inbound'], problems: [] }]);
  });

  test('applicationHost.config: rules inside <location path="Default Web Site">, other <rules> ignored', () => {
    const text = `<configuration>
  <system.web><healthMonitoring><rules><add name="x" /></rules></healthMonitoring></system.web>
  <location path="Exchange Back End"><system.webServer><security /></system.webServer></location>
  <location path='Default Web Site'>
    <system.webServer>
      ${EOMTV2_XML}
    </system.webServer>
  </location>
</configuration>`;
    assert.deepEqual(findMitigationsInConfig(text), [{ id: 'eomtv2', complete: true, rulesFound: ['PowerShell - inbound'], problems: [], location: 'Default Web Site' }]);
  });

  test('commented-out, CDATA, removed and cleared rules do not count', () => {
    assert.deepEqual(findMitigationsInConfig(webConfig(`<!-- ${EOMTV2_XML} -->`)), []);
    assert.deepEqual(findMitigationsInConfig(rulesXml(`<!-- ${rule({ name: 'a' })}${rule({ name: 'b' })} -->`)), []);
    assert.deepEqual(findMitigationsInConfig(rulesXml(`<![CDATA[${rule({})}]]>`)), []);
    assert.deepEqual(findMitigationsInConfig(rulesXml(`${rule({ name: 'Block PS' })}<remove name="BLOCK ps" />`)), []);
    assert.deepEqual(findMitigationsInConfig(rulesXml(`${rule({})}<clear />`)), []);
    const half = EOMT_XML.replace(/(<rule name="X-BEResource[\s\S]*?<\/rule>)/, '<!-- $1 -->');
    const [eomt] = findMitigationsInConfig(webConfig(half));
    assert.equal(eomt!.complete, false);
    assert.deepEqual(eomt!.rulesFound, ['X-AnonResource-Backend Abort - inbound']);
    assert.match(eomt!.problems.join('\n'), /rule 'X-BEResource Abort - inbound' .* is missing/);
  });

  test('an equivalent rule under another name counts; input case, entities and quote styles do not matter', () => {
    const text = rulesXml(
      `<rule name='Block &quot;PS&quot;'><match url='.*'/><conditions logicalGrouping="MatchAll"><add input='{urldecode:{request_uri}}' pattern='&#x28;?=.*autodiscover&#41;(?=.*powershell)'/></conditions><action type="CustomResponse" statusCode="403"/></rule>`,
    );
    assert.deepEqual(findMitigationsInConfig(text), [{ id: 'eomtv2', complete: true, rulesFound: ['Block "PS"'], problems: [] }]);
  });

  const incomplete: [string, string, RegExp][] = [
    ['disabled', rule({ name: 'PowerShell - inbound', attrs: 'enabled="False"' }), /^rule 'PowerShell - inbound' is disabled$/],
    ['wrong action', rule({ action: 'Rewrite' }), /action "Rewrite" instead of AbortRequest/],
    ['Wildcard syntax', rule({ attrs: 'patternSyntax="Wildcard"' }), /patternSyntax "Wildcard"/],
    ['undecoded input', rule({ input: '{REQUEST_URI}' }), /tests "\{REQUEST_URI\}" instead of \{UrlDecode:\{REQUEST_URI\}\}/],
    ['negated condition', rule({ condAttrs: 'negate="true"' }), /negates its condition/],
    ['case-sensitive', rule({ condAttrs: 'ignoreCase="false"' }), /case-sensitively/],
    ['narrowing condition', rule({ more: '<add input="{HTTPS}" pattern="on" />' }), /1 more condition\(s\)/],
    ['narrow match url', rule({ url: '^owa' }), /matches url "\^owa" instead of "\.\*"/],
    ['pattern in match url', `<rule name="r"><match url="(?=.*autodiscover)(?=.*powershell)" /><action type="AbortRequest" /></rule>`, /<match url>, which sees only the URL path/],
    ['early ProxyNotShell pattern', rule({ input: '{URL}', pattern: '.*autodiscover\\.json.*\\@.*Powershell.*' }), /earlier pattern "\.\*autodiscover\\\.json\.\*\\@\.\*Powershell\.\*"/],
  ];
  for (const [what, xml, problem] of incomplete) {
    test(`incomplete: ${what}`, () => {
      const found = findMitigationsInConfig(rulesXml(xml));
      assert.equal(found.length, 1);
      assert.equal(found[0]!.id, 'eomtv2');
      assert.equal(found[0]!.complete, false);
      assert.ok(found[0]!.problems.some((p) => problem.test(p)), found[0]!.problems.join('\n'));
    });
  }

  test('of several look-alike rules the effective one decides', () => {
    const text = rulesXml(rule({ name: 'old', attrs: 'enabled="false"' }) + rule({ name: 'new' }));
    assert.deepEqual(findMitigationsInConfig(text), [{ id: 'eomtv2', complete: true, rulesFound: ['new'], problems: [] }]);
  });

  test('every truncation of a valid config returns without throwing; cut inside a rule, it is not complete', () => {
    const text = webConfig(EOMT_XML);
    const lastRuleEnd = text.lastIndexOf('</rule>');
    for (let n = 0; n <= text.length; n++) {
      const found = findMitigationsInConfig(text.slice(0, n));
      if (n < lastRuleEnd) assert.ok(!found.some((f) => f.complete), `complete at ${n}`);
    }
    assert.equal(findMitigationsInConfig(text.slice(0, lastRuleEnd + 7))[0]?.complete, true);
  });

  test('hostile input: garbage, deep nesting, unclosed quotes and 20 MB of random markup', () => {
    const cases = [
      '',
      '<<<<>>>></></><!--',
      '<rewrite><rules><rule name="a',
      `<a>`.repeat(100_000) + rulesXml(rule({})) + '</a>'.repeat(10),
      '</rules>'.repeat(100_000),
      '<rewrite><rules>' + '<rule name="x"/><remove name="x"/>'.repeat(50_000),
      '<rewrite><rules><rule name="&#x110000;&#99999999999999999999;&#xD800;">' + rule({}),
    ];
    for (const c of cases) assert.ok(Array.isArray(findMitigationsInConfig(c)));
    // Nested too deep to matter: ignored rather than slowing every close tag down.
    assert.deepEqual(findMitigationsInConfig(cases[3]!), []);

    let seed = 0x2f6b1d;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const tokens = ['<', '>', '/>', '</', 'rule', 'rules', 'rewrite', ' name=', '"', "'", '=', '<!--', '-->', '<![CDATA[', ']]>', '&#x41;', '&amp;', ' ', 'add', 'x', '\n', '<?', '<!'];
    const parts: string[] = [];
    let size = 0;
    while (size < 20_000_000) {
      const t = next() % 4 === 0 ? String.fromCharCode(33 + (next() % 94)) : tokens[next() % tokens.length]!;
      parts.push(t);
      size += t.length;
    }
    const started = Date.now();
    assert.ok(Array.isArray(findMitigationsInConfig(parts.join(''))));
    assert.ok(Date.now() - started < 20_000, 'linear time');
  });
});
