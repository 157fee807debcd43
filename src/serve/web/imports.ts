// The CERT's bulk input: a Shadowserver scan_exchange CSV and the organisation list (CSV or JSON),
// each as a file in a multipart form, and the triage queue of servers no organisation owns, where
// an analyst assigns each one by hand.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireStaff } from '../api/access.js';
import { notFound } from '../api/errors.js';
import type { Session } from '../auth/sessions.js';
import type { ServiceContext } from '../context.js';
import { importOrganisations } from '../ingest/organisations.js';
import { importShadowserver } from '../ingest/shadowserver.js';
import { type UnmatchedServer, assignServer, listUnmatched } from '../store/observations.js';
import { InvalidInput } from '../store/orgs.js';
import { type Query, csrfField, esc, facts, intParam, isId, mayChange, noticeFor, num, param, sendPage, utc } from './html.js';
import { page } from './layout.js';
import { nameSuggestions, resolveOrganisation } from './queries.js';
import { type Column, pager, table } from './table.js';
import { uploadedFile } from './upload.js';

const LIMIT = 50;

function importPage(session: Session, error?: string, result = ''): string {
  if (!mayChange(session)) return page({ title: 'Import', session, nav: 'import' }, '<h1>Import</h1><p>Importing needs the analyst role; your account can only read.</p>');
  const form = (action: string, title: string, help: string, accept: string) => `<section class="panel"><h2>${title}</h2><p class="muted">${help}</p>
<form class="stack" method="post" action="${action}" enctype="multipart/form-data">${csrfField(session)}
<label>File<input type="file" name="file" accept="${accept}" required></label><div><button type="submit">Import</button></div></form></section>`;
  const body = `<h1>Import</h1>${result}
${form('/import/shadowserver', 'Shadowserver report', 'A Vulnerable-Exchange-Server report (scan_exchange CSV). Rows become observations, attributed to organisations by address range or domain; the rest wait under Unmatched.', '.csv,text/csv')}
${form('/import/organisations', 'Organisation list', 'CSV with the columns name, sector, country, ranges, domains, abuse, contacts — or a JSON array of such objects. Known names (case-insensitive) gain what they lack; new organisations get an API token, shown once.', '.csv,.json,text/csv,application/json')}`;
  return page({ title: 'Import', session, nav: 'import', error }, body);
}

function errorList(errors: readonly string[]): string {
  if (errors.length === 0) return '';
  return `<h3>Problems (${num(errors.length)})</h3><ul class="plain" id="import-errors">${errors.slice(0, 200).map((e) => `<li>${esc(e)}</li>`).join('')}</ul>`;
}

type Row = UnmatchedServer;

function unmatchedColumns(session: Session): Column<Row>[] {
  const cols: Column<Row>[] = [
    { label: 'Address', cell: (s) => `<span class="mono">${esc(s.address)}</span>${s.port ? `<span class="muted">:${esc(s.port)}</span>` : ''}` },
    { label: 'Host name', wrap: true, cell: (s) => esc(s.hostname) },
    { label: 'Build', cell: (s) => esc(s.build) },
    { label: 'Verdict', cell: (s) => esc(s.verdict) },
    { label: 'Latest tag', wrap: true, cell: (s) => esc(s.tag) },
    // A URL from a report is shown, never linked: following it is the analyst's decision.
    { label: 'URL', wrap: true, cell: (s) => `<span class="mono">${esc(s.url)}</span>` },
    { label: 'First seen', cell: (s) => utc(s.firstSeen) },
    { label: 'Last seen', cell: (s) => utc(s.lastSeen) },
  ];
  if (mayChange(session)) {
    cols.push({
      label: 'Assign to',
      cell: (s) => `<form class="inline" method="post" action="/unmatched/${esc(s.id)}/assign">${csrfField(session)}<input type="text" name="organisation" list="organisation-names" required maxlength="300" aria-label="Organisation for ${esc(s.address)}"><button type="submit">Assign</button></form>`,
    });
  }
  return cols;
}

export function registerImportPages(app: FastifyInstance, ctx: ServiceContext): void {
  const db = ctx.h.db;

  app.get('/import', async (req, reply) => sendPage(reply, importPage(requireStaff(req))));

  /** Runs an import of the posted file and shows its outcome (or what was wrong) above the forms. */
  const importing = (title: string, run: (file: { name: string; text: string }, actor: string) => Promise<string>) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const session = requireStaff(req, 'analyst');
      try {
        const outcome = await run(uploadedFile((req.body ?? {}) as Query, 'file'), session.user.email);
        return sendPage(reply, importPage(session, undefined, `<section class="panel" id="import-result"><h2>${esc(title)}</h2>${outcome}</section>`));
      } catch (err) {
        if (!(err instanceof InvalidInput)) throw err;
        return sendPage(reply, importPage(session, err.message), 400);
      }
    };

  app.post('/import/shadowserver', importing('Shadowserver report imported', async (file, actor) => {
    const r = await importShadowserver(db, file.text, file.name, actor, ctx.now());
    return `${facts([
      ['New observations', num(r.inserted)], ['Already known', num(r.duplicates)], ['Without an organisation', `${num(r.unmatched)}${r.unmatched > 0 ? ' (see <a href="/unmatched">Unmatched</a>)' : ''}`],
      ['Servers', num(r.servers)], ['Organisations concerned', num(r.orgs.length)],
    ])}${errorList(r.errors)}`;
  }));

  app.post('/import/organisations', importing('Organisation list imported', async (file, actor) => {
    const r = await importOrganisations(db, file.text, file.name, actor, ctx.now());
    const created = r.created.length === 0 ? '' : `<h3>New organisations and their API tokens</h3><p class="muted">Each token is shown only this once: hand it to the organisation now.</p>
<div class="scroll"><table id="created-organisations"><thead><tr><th>Organisation</th><th>API token</th></tr></thead><tbody>${r.created.map((c) => `<tr><td><a href="/organisations/${esc(c.id)}">${esc(c.name)}</a></td><td class="mono">${esc(c.token)}</td></tr>`).join('')}</tbody></table></div>`;
    return `${facts([['Created', num(r.created.length)], ['Updated', num(r.updated.length)], ['Unchanged', num(r.unchanged)]])}${created}${errorList(r.errors)}`;
  }));

  app.get('/unmatched', async (req, reply) => {
    const session = requireStaff(req);
    const q = req.query as Query;
    const offset = intParam(q, 'offset', 0);
    const list = await listUnmatched(db, { limit: LIMIT, offset });
    const datalist = mayChange(session) && list.servers.length > 0 ? await nameSuggestions(db) : '';
    const body = `<h1>Unmatched servers</h1>
<p class="muted">Servers seen in scans or Shadowserver reports whose address and host name belong to no registered organisation. Assign each to its owner (by name); its observations move with it.</p>
${table({ id: 'unmatched', columns: unmatchedColumns(session), rows: list.servers, empty: 'Every server seen so far belongs to an organisation.' })}
${pager({ total: list.total, offset, limit: LIMIT, view: { path: '/unmatched', params: {} } })}${datalist}`;
    return sendPage(reply, page({ title: 'Unmatched servers', session, nav: 'unmatched', notice: noticeFor(q) }, body));
  });

  app.post('/unmatched/:id/assign', async (req, reply) => {
    const session = requireStaff(req, 'analyst');
    const { id } = req.params as { id: string };
    if (!isId(id)) throw notFound('there is no such server');
    const orgId = await resolveOrganisation(db, param((req.body ?? {}) as Query, 'organisation', 300));
    await assignServer(db, id, orgId, session.user.email, ctx.now());
    return reply.redirect('/unmatched?notice=assigned', 303);
  });
}
