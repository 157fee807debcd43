// The HTML report stays a file people can open however large the hunt: thousands of findings (a
// server probed by every scanner on the internet), full evidence and 20,000 context records.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { ContextEvent, Finding, Report } from '../src/core/types.js';
import { FINDING_CARDS, TIMELINE_ROWS } from '../src/report/html/tables.js';
import { writerById } from '../src/report/registry.js';
import { huntFixed, repoRoot } from './helpers.js';

test('a hunt with 3,000 findings of 50 full-length records each and 20,000 context records renders to a bounded page', async () => {
  const demo = await huntFixed([path.join(repoRoot(), 'examples', 'demo-triage')]);
  const model = demo.findings.find((f) => f.stage === 'scan')!;
  const long = 'GET /owa/auth/x.aspx '.padEnd(2000, 'A');
  const findings: Finding[] = Array.from({ length: 3000 }, (_, i) => ({
    ...model,
    id: `F-${i.toString(16).padStart(12, '0')}`,
    title: `Probe ${i}`,
    clientIp: `192.0.2.${i % 250}`,
    evidence: Array.from({ length: 50 }, (_, j) => ({ ...model.evidence[0]!, line: j + 1, offset: j * 2000, excerpt: long })),
  }));
  const event = demo.context!.events[0]!;
  const context: ContextEvent[] = Array.from({ length: 20_000 }, (_, i) => ({ ...event, summary: `GET /owa/${i} → 200`, evidence: { ...event.evidence, offset: i, excerpt: long } }));
  const big: Report = { ...demo, findings: [...demo.findings, ...findings], context: { ips: demo.context!.ips, events: context, total: 25_000 } };
  const html = writerById('html')!.render(big, { color: false, width: 100 });
  const mb = Buffer.byteLength(html) / 1024 ** 2;
  assert.ok(mb < 8, `${mb.toFixed(1)} MB`);
  // Every finding is in the table; details for the most severe; the timeline says where the rest is.
  assert.equal((html.match(/<tr data-severity=/g) ?? []).length, big.findings.length);
  assert.equal((html.match(/<details class="finding"/g) ?? []).length, FINDING_CARDS);
  assert.match(html, /the other \d+ are in the table above and in the JSON report/);
  assert.equal((html.match(/<tr data-kind=/g) ?? []).length, TIMELINE_ROWS);
  assert.match(html, /The first 5000 of \d+ events; <code>exhunt timeline<\/code> writes them all/);
  assert.match(html, /25000 records of the attacker addresses were found; 20000 are kept/);
  assert.match(html, /more characters in the JSON report/);
  // The demo's own findings, the most severe, keep their cards.
  for (const f of demo.findings.filter((g) => g.stage === 'compromise')) assert.ok(html.includes(`<details class="finding" id="${f.id}"`), f.title);
});

test('the banner leads with one plain sentence: how the attacker got in and what they did', async () => {
  const demo = await huntFixed([path.join(repoRoot(), 'examples', 'demo-triage')]);
  const html = writerById('html')!.render(demo, { color: false, width: 100 });
  const headline = /<p class="headline">([^<]*)<\/p>/.exec(html)?.[1];
  assert.equal(headline, 'An attacker got in (ProxyLogon exploited (CVE-2021-26855) from 203.0.113.45 on 2021-03-03 06:49 UTC) and planted a web shell, ran commands on the server, read or exported mail, took passwords and packed data to take away.');
  assert.ok(html.indexOf('class="headline"') < html.indexOf('id="actions"'), 'before what to do');
  // Without a compromise there is no such sentence: the verdict's summary leads.
  const quiet: Report = { ...demo, intrusions: [] };
  assert.ok(!writerById('html')!.render(quiet, { color: false, width: 100 }).includes('class="headline"'));
});
