import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { AppModule } from './app.module';
import { AuditTrail } from './audit/audit-trail';
import { exceptStreamedUploads } from './batch/streamed-body';
import { AppConfig, FHIR_BASE_PATH } from './config/app-config';
import { requestScope } from './database/request-scope';
import { ConnectionDrain } from './fhir/connection-drain';
import { applyServerLimits, cors, securityHeaders } from './fhir/http-hardening';
import { bodyReader } from './fhir/request-body';
import { requestContext } from './fhir/request-context';
import { JsonLogger } from './logging/json-logger';
import { MetricsService } from './metrics/metrics.service';
import { completeOpenApiDocument, freshIdentifierInterceptor } from './openapi/openapi-document';
import { packageVersion } from './openapi/package-version';

/**
 * HTTP pipeline shared by main.ts and the e2e tests, so tests exercise exactly what runs in production:
 * request context (ids, log, metrics) → body reader (limit, JSON depth, content type) → routes.
 */
export function configureApp(app: NestExpressApplication, config: AppConfig, logger: JsonLogger) {
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.useLogger(logger);
  const metrics = app.get(MetricsService);
  const context = requestContext(logger, metrics);
  applyServerLimits(app.getHttpServer(), config);
  app.use(securityHeaders(config));
  app.use(cors(config));
  app.use(app.get(ConnectionDrain).middleware);
  app.use((req: Request, res: Response, next: NextFunction) => {
    requestScope.run({ sqlStatements: 0 }, () => context(req, res, next));
  });
  app.use(app.get(AuditTrail).middleware);
  // Batch file uploads stream their body to storage themselves (the file may be far above the limit).
  app.use(exceptStreamedUploads(bodyReader(config.maxBodyBytes)));

  const doc = new DocumentBuilder()
    .setTitle('Immunisation FHIR API')
    .setDescription(`FHIR R4 Immunization API. FHIR routes live under ${FHIR_BASE_PATH}.`)
    .setVersion(packageVersion())
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addSecurityRequirements('bearer')
    .build();
  // The controllers' decorators give routes and parameters; completeOpenApiDocument adds the FHIR
  // schemas, examples, headers and error answers (src/openapi/).
  const document = () =>
    completeOpenApiDocument(SwaggerModule.createDocument(app, doc), { version: packageVersion(), searchMaxCount: config.searchMaxCount });
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    customSiteTitle: 'Immunisation FHIR API',
    swaggerOptions: { persistAuthorization: true, requestInterceptor: freshIdentifierInterceptor(), displayOperationId: true },
  });
}

export async function createApp(
  config: AppConfig,
  logger: JsonLogger,
  stopSignals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger), {
    bodyParser: false,
    logger,
    bufferLogs: false,
    // Start-up errors reach main.ts (one `start-up failed:` line, exit 1) instead of Nest's own
    // handler, which logs a stack trace and exits without saying what failed.
    abortOnError: false,
  });
  configureApp(app, config, logger);
  // SIGTERM/SIGINT: stop taking connections, let in-flight requests finish (HTTP server close),
  // run the shutdown hooks (relay stop, pool close), then exit 0. Nest's default re-raises the
  // signal instead, which exits 143. Only the real process listens: tests close their apps.
  app.enableShutdownHooks(stopSignals, { useProcessExit: true });
  return app;
}
