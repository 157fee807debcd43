// Every /api/v1 route, by area. Each area is one file with one register function.
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.js';
import { registerCoreRoutes } from './core-routes.js';
import { registerImportRoutes } from './import-routes.js';
import { registerJobRoutes } from './job-routes.js';
import { registerNotifyRoutes } from './notify-routes.js';
import { registerOperationRoutes } from './operation-routes.js';
import { registerOrganisationRoutes } from './organisation-routes.js';
import type { Api } from './schemas.js';
import { registerUploadRoutes } from './upload-routes.js';

export async function registerApi(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const api = app as unknown as Api;
  registerCoreRoutes(api, ctx);
  registerUploadRoutes(api, ctx);
  registerOrganisationRoutes(api, ctx);
  registerOperationRoutes(api, ctx);
  registerImportRoutes(api, ctx);
  registerNotifyRoutes(api, ctx);
  registerJobRoutes(api, ctx);
}
