import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { splitCsvLine } from '../src/core/csv.js';
import { clientAddress, decodeIisUserAgent, isPrivateAddress, parseW3cTime, splitExchangeQueryTail } from '../src/parsers/iis-w3c/parse.js';
import { HTTPPROXY_FIELDS_2013, exchangeHeader } from '../tools/corpus/formats.js';
import { parseText } from './parse-harness.js';

const IIS_HEAD = '#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-03-05 00:00:00\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n';

describe('IIS W3C parser', () => {
  test('splits the Exchange front-end tail off the query and keeps cafeReqId', () => {
    assert.deepEqual(splitExchangeQueryTail('&CorrelationID=<empty>;&cafeReqId=cde28fc4-299e-4179-b3e9-de56f5c1d9ee;&encoding=;'), {
      query: '',
      correlationId: '<empty>',
      cafeReqId: 'cde28fc4-299e-4179-b3e9-de56f5c1d9ee',
    });
    assert.deepEqual(splitExchangeQueryTail('@evil.com/autodiscover/autodiscover.xml?=&Email=autodiscover/autodiscover.json%3F@evil.com&CorrelationID=<empty>;&cafeReqId=abc;'), {
      query: '@evil.com/autodiscover/autodiscover.xml?=&Email=autodiscover/autodiscover.json%3F@evil.com',
      correlationId: '<empty>',
      cafeReqId: 'abc',
    });
    assert.deepEqual(splitExchangeQueryTail('proxy&port=3389&ip=127.0.0.1'), { query: 'proxy&port=3389&ip=127.0.0.1' });
    assert.deepEqual(splitExchangeQueryTail('xCorrelationID=1'), { query: 'xCorrelationID=1' });
    assert.deepEqual(splitExchangeQueryTail('a=1&CorrelationID=;cmd=whoami'), { query: 'a=1&CorrelationID=;cmd=whoami' }, 'only the exact tail is split off');
  });

  test('decodes + in user agents and reads times as UTC', () => {
    assert.equal(decodeIisUserAgent('Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)'), 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)');
    assert.equal(parseW3cTime('2021-03-05', '03:06:27'), Date.UTC(2021, 2, 5, 3, 6, 27));
    assert.equal(parseW3cTime('2021-03-05', '03:06:27.250'), Date.UTC(2021, 2, 5, 3, 6, 27, 250));
    assert.ok(Number.isNaN(parseW3cTime('2021-13-05', '03:06:27')));
    assert.ok(Number.isNaN(parseW3cTime('garbage', '03:06:27')));
  });

  test('client address: X-Forwarded-For only behind a private proxy, its right-most public hop', () => {
    assert.equal(clientAddress('203.0.113.9', '10.1.1.10'), '203.0.113.9', 'a public c-ip is the client; a claimed XFF is ignored');
    assert.equal(clientAddress('10.9.9.9', '10.1.1.10,+198.51.100.66'), '198.51.100.66', 'the hop the proxy saw, not what the client claimed');
    assert.equal(clientAddress('10.9.9.9', '198.51.100.1, 203.0.113.9'), '203.0.113.9');
    assert.equal(clientAddress('10.9.9.9', '10.20.1.5'), '10.20.1.5', 'an internal client behind the proxy');
    assert.equal(clientAddress('10.9.9.9', ''), '10.9.9.9');
    assert.ok(isPrivateAddress('172.31.0.1') && !isPrivateAddress('172.32.0.1') && isPrivateAddress('fd00::1') && !isPrivateAddress('2001:db8::1'));
  });

  test('builds the web view; "-" is empty; behind a proxy, X-Forwarded-For names the client', async () => {
    const text = `${IIS_HEAD.replace('time-taken', 'time-taken X-Forwarded-For')}2021-03-05 03:06:27 10.0.0.5 GET /owa/auth/logon.aspx url=x&CorrelationID=<empty>;&cafeReqId=r1; 443 - 10.9.9.9 Mozilla/5.0+(X) - 200 0 0 133 203.0.113.9,+10.9.9.9\n`;
    const p = await parseText(text);
    assert.equal(p.events.length, 1);
    const ev = p.events[0]!;
    assert.deepEqual(ev.web, { method: 'GET', stem: '/owa/auth/logon.aspx', query: 'url=x', status: 200, clientIp: '203.0.113.9', userAgent: 'Mozilla/5.0 (X)', user: '' });
    assert.equal(ev.fields['cs-username'], '');
    assert.equal(ev.fields['cafeReqId'], 'r1');
  });

  test('HTTP.sys error logs are named and skipped, not misread', async () => {
    const p = await parseText('#Software: Microsoft HTTP API 2.0\n#Version: 1.0\n#Date: 2021-03-05 00:00:00\n#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri streamid sc-status s-siteid s-reason s-queuename\n', 'HTTPERR/httperr1.log');
    assert.equal(p.sniff?.unsupported, 'HTTP.sys error log (HTTPERR) is not analysed yet');
  });

  test('reads header-less excerpts with the default field layout', async () => {
    const p = await parseText('2021-03-05 03:06:27 xxx GET /owa/auth/RedirSuiteServerProxy.aspx &CorrelationID=<empty>;&cafeReqId=c; 443 - 139.162.202.236 Mozilla/5.0 - 200 0 0 133\n');
    assert.equal(p.sniff?.source, 'iis');
    assert.equal(p.events[0]!.web!.clientIp, '139.162.202.236');
  });

  test('a line with the wrong number of fields is reported and skipped; the next is read', async () => {
    const p = await parseText(`${IIS_HEAD}2021-03-05 03:06:27 1 GET / - 443 - 1.1.1.1 UA - 200 0 0\n2021-03-05 03:06:28 1 GET /x - 443 - 1.1.1.2 UA - 200 0 0 5\n2021-13-05 03:06:29 1 GET /y - 443 - 1.1.1.3 UA - 200 0 0 5\n`);
    assert.deepEqual(p.events.map((e) => e.web!.stem), ['/x', '/y']);
    assert.deepEqual(p.issues.map((i) => [i.code, i.line]), [['E_SCHEMA', 5], ['E_PARSE', 7]]);
    assert.ok(Number.isNaN(p.events[1]!.time));
  });
});

describe('Exchange CSV parser', () => {
  test('CSV fields: quotes, doubled quotes, commas, empty fields, an unclosed quote', () => {
    assert.deepEqual(splitCsvLine('a,"b,c","d ""e""",,f').values, ['a', 'b,c', 'd "e"', '', 'f']);
    assert.deepEqual(splitCsvLine('"x""y"').values, ['x"y']);
    assert.deepEqual(splitCsvLine('a,"open,end'), { values: ['a', 'open,end'], unterminated: true });
    assert.deepEqual(splitCsvLine('plain').values, ['plain']);
  });

  test('the optional plain header line, a BOM, CRLF and repeated header rows', async () => {
    const head = exchangeHeader('HttpProxy Logs', '15.00.1497.002', Date.parse('2021-03-03T00:00:00Z'), HTTPPROXY_FIELDS_2013, true);
    const row = (t: string, stem: string) => HTTPPROXY_FIELDS_2013.map((f) => (f === 'DateTime' ? t : f === 'UrlStem' ? stem : f === 'AnchorMailbox' ? 'ServerInfo~a]@x:444/ecp/proxyLogon.ecp?#' : '')).join(',');
    const text = `\ufeff${head}${row('2021-03-03T06:49:42.162Z', '/ecp/y.js')}\r\n${HTTPPROXY_FIELDS_2013.join(',')}\r\n${row('2021-03-03T06:49:43.000Z', '/ecp/z.js')}\r\n`;
    const p = await parseText(text, 'HttpProxy_2021030306-1.LOG');
    assert.equal(p.sniff?.source, 'exchange-httpproxy');
    assert.deepEqual(p.issues, []);
    assert.equal(p.headerRows, 2);
    assert.deepEqual(p.events.map((e) => e.web!.stem), ['/ecp/y.js', '/ecp/z.js']);
    assert.equal(p.events[0]!.fields['UrlHost'], undefined, 'Exchange 2013 has no UrlHost column');
    assert.equal(p.events[0]!.fields['AnchorMailbox'], 'ServerInfo~a]@x:444/ecp/proxyLogon.ecp?#');
  });

  test('a PowerShell Export-Csv file (Test-ProxyLogon output) is read by its header', async () => {
    const text = '#TYPE Selected.System.Management.Automation.PSCustomObject\n"DateTime","RequestId","ClientIpAddress","UrlHost","UrlStem","RoutingHint","UserAgent","AnchorMailbox","HttpStatus"\n"2021-03-03T06:49:42.162Z","xxx","130.255.189.21","mail.xxx.no","/ecp/y.js","X-BEResource-Cookie","ExchangeServicesClient/0.0.0.0","ServerInfo~a]@s:444/autodiscover/autodiscover.xml?#","200"\n';
    const p = await parseText(text, 'out.csv');
    assert.equal(p.sniff?.source, 'exchange-httpproxy');
    assert.equal(p.events.length, 1);
    assert.equal(p.events[0]!.web!.clientIp, '130.255.189.21');
    assert.equal(p.events[0]!.web!.status, 200);
  });

  test('log types it does not analyse are named, not guessed', async () => {
    const p = await parseText('#Software: Microsoft Exchange Server\n#Version: 15.01.2176.002\n#Log-type: Message Tracking Log\n#Fields: date-time,client-ip\n2021-03-03T00:00:00.000Z,1.2.3.4\n');
    assert.equal(p.sniff?.unsupported, 'Exchange log type "Message Tracking Log" is not analysed yet');
  });

  test('schema drift: a row shorter than #Fields is read by position and reported', async () => {
    const text = '#Software: Microsoft Exchange Server\n#Log-type: ECP Server Log\n#Fields: TimeStamp,ServerName,EventId,EventData\n2021-03-03T06:49:53.772Z,EXCH01\n';
    const p = await parseText(text);
    assert.equal(p.events.length, 1);
    assert.equal(p.events[0]!.fields['ServerName'], 'EXCH01');
    assert.deepEqual(p.issues.map((i) => i.code), ['E_SCHEMA']);
  });

  test('Rps_Http rows: the first address of a client chain, ClientInfo as the user agent', async () => {
    const text = '#Software: Microsoft Exchange Server\n#Log-type: Rps Http Logs\n#Fields: DateTime,UrlStem,UrlQuery,HttpStatus,ClientIpAddress,AuthenticatedUser,ClientInfo\n2022-12-01T10:00:00.000Z,/powershell,?x=1,200,203.0.113.7 10.0.0.9,CONTOSO\\bob,python-requests/2.28\n';
    const p = await parseText(text);
    assert.deepEqual(p.events[0]!.web, { method: '', stem: '/powershell', query: 'x=1', status: 200, clientIp: '203.0.113.7', userAgent: 'python-requests/2.28', user: 'CONTOSO\\bob' });
  });
});
