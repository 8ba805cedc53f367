import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { AppModule } from './app.module';
import { exceptStreamedUploads } from './batch/streamed-body';
import { AppConfig, FHIR_BASE_PATH } from './config/app-config';
import { requestScope } from './database/request-scope';
import { ConnectionDrain } from './fhir/connection-drain';
import { bodyReader } from './fhir/request-body';
import { requestContext } from './fhir/request-context';
import { JsonLogger } from './logging/json-logger';
import { MetricsService } from './metrics/metrics.service';

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
  app.use(app.get(ConnectionDrain).middleware);
  app.use((req: Request, res: Response, next: NextFunction) => {
    requestScope.run({ sqlStatements: 0 }, () => context(req, res, next));
  });
  // Batch file uploads stream their body to storage themselves (the file may be far above the limit).
  app.use(exceptStreamedUploads(bodyReader(config.maxBodyBytes)));

  const doc = new DocumentBuilder()
    .setTitle('Immunisation FHIR API')
    .setDescription(
      `FHIR R4 Immunization API. FHIR routes live under ${FHIR_BASE_PATH}. Get a token with ` +
        '`npm run -s token -- --supplier <NAME>` (or POST /oauth2/token) and press Authorize.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addSecurityRequirements('bearer')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc), {
    jsonDocumentUrl: 'docs-json',
    customSiteTitle: 'Immunisation FHIR API',
    swaggerOptions: { persistAuthorization: true },
  });
}

export async function createApp(config: AppConfig, logger: JsonLogger): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger), {
    bodyParser: false,
    logger,
    bufferLogs: false,
  });
  configureApp(app, config, logger);
  // SIGTERM/SIGINT: stop taking connections, let in-flight requests finish (HTTP server close),
  // run the shutdown hooks (relay stop, pool close), then exit 0. Nest's default re-raises the
  // signal instead, which exits 143. Only the real process listens: tests close their apps.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  return app;
}
