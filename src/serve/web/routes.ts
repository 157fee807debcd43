// The dashboard: server-rendered pages for CERT staff, in their own plugin scope so that the
// multipart parser and the HTML error pages apply to the pages only, not to the API. The
// application's hooks still run first: who is asking, the CSRF check on every change made with the
// session cookie, and the strict Content-Security-Policy on every answer.
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { requireStaff } from '../api/access.js';
import { HttpError } from '../api/errors.js';
import type { ServiceContext } from '../context.js';
import { InvalidInput } from '../store/orgs.js';
import { registerAssets } from './assets.js';
import { sendPage } from './html.js';
import { registerImportPages } from './imports.js';
import { page } from './layout.js';
import { registerLoginPages } from './login.js';
import { registerNotificationPages } from './notifications.js';
import { registerOrganisationPage } from './organisation.js';
import { registerOrganisationsPage } from './organisations.js';
import { registerReportPage } from './report.js';
import { registerStatsPages } from './stats.js';
import { registerTemplatePages } from './templates.js';
import { type UploadedFile, registerUploadPage } from './upload.js';

/** Errors a person can act on become a page; the rest (and a GET without a session: to /login) go to the application's handler. */
function htmlErrors(scope: FastifyInstance): void {
  const parent = scope.errorHandler;
  scope.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const client = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : undefined;
    const status = err instanceof HttpError ? err.status : err instanceof InvalidInput ? 400 : client;
    if (status === undefined || (status === 401 && req.method === 'GET')) return parent.call(scope, err, req, reply);
    const session = req.principal.kind === 'staff' ? req.principal.session : undefined;
    const next = status === 401 ? '<p><a href="/login">Sign in again</a>; your session has ended.</p>' : '<p><a href="/">Back to the organisations</a></p>';
    return sendPage(reply, page({ title: 'Not done', session, error: err.message }, `<h1>That did not work</h1>${next}`), status);
  });
}

export async function registerDashboard(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  await app.register(async (scope) => {
    // Pages are not part of the API, nor of its OpenAPI document.
    scope.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, hide: true };
    });
    await scope.register(multipart, {
      // Fields arrive as plain values in req.body, so the application's CSRF check sees _csrf; a
      // file arrives as { filename, data }.
      attachFieldsToBody: 'keyValues',
      limits: { fileSize: ctx.settings.maxUploadBytes, files: 1, fields: 20, parts: 21 },
      onFile: async (part: MultipartFile) => {
        const file: UploadedFile = { filename: part.filename, data: await part.toBuffer() };
        (part as unknown as { value: UploadedFile }).value = file;
      },
    });
    // Only analysts' forms carry files: anyone else is refused before the body is read and buffered.
    scope.addHook('onRequest', async (req) => {
      if (/^multipart\//i.test(req.headers['content-type'] ?? '')) requireStaff(req, 'analyst');
    });
    htmlErrors(scope);
    registerAssets(scope);
    registerLoginPages(scope, ctx);
    registerOrganisationsPage(scope, ctx);
    registerOrganisationPage(scope, ctx);
    registerReportPage(scope, ctx);
    registerStatsPages(scope, ctx);
    registerUploadPage(scope, ctx);
    registerImportPages(scope, ctx);
    registerNotificationPages(scope, ctx);
    registerTemplatePages(scope, ctx);
  });
}
