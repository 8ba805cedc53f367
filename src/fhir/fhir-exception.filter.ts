import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isDatabaseUnavailable } from '../database/database-unavailable';
import { DomainError } from '../kernel/domain-error';
import { JsonLogger } from '../logging/json-logger';
import { fhirErrorOf } from './domain-error-outcome';
import { FHIR_JSON_UTF8 } from './media-types';
import { inputDataError } from './input-data-error';
import { Errors, FhirError } from './operation-outcome';

interface RouterLayer {
  route?: { methods: Record<string, boolean> };
  match(path: string): boolean;
}

/** Methods the router would accept for this path (for 405 + Allow); empty when the path is unknown. */
function allowedMethods(req: Request): string[] {
  const stack: RouterLayer[] = (req.app as unknown as { router?: { stack: RouterLayer[] } }).router?.stack ?? [];
  const methods = new Set<string>();
  for (const layer of stack) {
    if (layer.route && layer.match(req.path)) {
      for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== '_all') methods.add(m.toUpperCase());
    }
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

/** Maps anything thrown to the FhirError the client should see. */
export function toFhirError(err: unknown, req: Request): FhirError {
  if (err instanceof FhirError) return err;
  if (err instanceof DomainError) return fhirErrorOf(err);
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const message = err.message;
    switch (status) {
      case 404: {
        const allow = allowedMethods(req);
        if (allow.length > 0)
          return Errors.methodNotAllowed(`Method ${req.method} is not allowed here; allowed: ${allow.join(', ')}.`, allow);
        return Errors.notFound(`There is no route ${req.method} ${req.path}.`);
      }
      case 400:
        return Errors.invalid(message);
      case 401:
        return Errors.unauthorized('A valid bearer access token is required.');
      case 403:
        return Errors.forbidden(message);
      case 405:
        return Errors.methodNotAllowed(message, allowedMethods(req));
      case 406:
        return Errors.notAcceptable(message);
      case 413:
        return Errors.tooLarge(message);
      case 415:
        return Errors.unsupportedMediaType(message);
      case 429:
        return Errors.throttled(message, 1);
      default:
        if (status < 500) return new FhirError(status, Errors.invalid(message).issues);
    }
  }
  if (isDatabaseUnavailable(err))
    return Errors.unavailable('The database is not available at the moment; nothing was changed. Retry later.');
  return Errors.exception();
}

/**
 * The one place every error leaves the service: as a contract-shaped OperationOutcome with
 * application/fhir+json. Unexpected errors are logged with their stack and answered with no internals.
 */
@Catch()
export class FhirExceptionFilter implements ExceptionFilter {
  private lastUnavailableLog = 0;
  private unavailableSinceLog = 0;

  constructor(@Inject(JsonLogger) private readonly logger: JsonLogger) {}

  /** An outage fails every request: one warning every 10 s with a count, not a line (or stack) each. */
  private logDatabaseUnavailable(e: Error) {
    this.unavailableSinceLog++;
    const now = Date.now();
    if (now - this.lastUnavailableLog < 10_000) return;
    this.logger.warn('database unavailable: answering 503', { error: e.message.split('\n')[0], requests: this.unavailableSinceLog });
    this.lastUnavailableLog = now;
    this.unavailableSinceLog = 0;
  }

  catch(exception: unknown, host: ArgumentsHost) {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const dataError = inputDataError(exception);
    if (dataError) {
      const e = exception as Error;
      this.logger.warn('database refused a client value (validation gap)', {
        requestId: req.requestId,
        sqlState: (e as { code?: string }).code,
        error: String(e.message).split(':')[0],
        stack: e.stack,
      });
      // (the message is cut at its first colon: PostgreSQL quotes the offending value after it)
    }
    const error = dataError ?? toFhirError(exception, req);
    if (error.status === 503 && isDatabaseUnavailable(exception)) {
      this.logDatabaseUnavailable(exception as Error);
    } else if (error.status >= 500 && !(exception instanceof FhirError || exception instanceof DomainError)) {
      const e = exception instanceof Error ? exception : new Error(String(exception));
      this.logger.error('unhandled error', { requestId: req.requestId, error: e.message, stack: e.stack });
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(error.status);
    for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
    res.setHeader('Content-Type', FHIR_JSON_UTF8);
    res.send(JSON.stringify(error.outcome()));
  }
}
