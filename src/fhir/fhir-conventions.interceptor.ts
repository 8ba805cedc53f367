import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { Observable } from 'rxjs';
import { FHIR_BASE_PATH } from '../config/app-config';
import { acceptsFhirJson, formatIsJson } from './media-types';
import { Errors } from './operation-outcome';
import { NUL_REFUSED, urlHasNul } from './request-body';

/**
 * Content negotiation for FHIR routes, after authentication: the response is JSON, so an Accept
 * (or FHIR `_format`) that rules JSON out gets 406. On every route: U+0000 in the URL gets 400.
 */
@Injectable()
export class FhirConventionsInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    // After authentication (contract: 401 first), before any handler can pass the value to SQL.
    if (urlHasNul(req.originalUrl ?? req.url)) throw Errors.invalid(NUL_REFUSED);
    if (req.path.startsWith(FHIR_BASE_PATH)) {
      const format = typeof req.query?._format === 'string' ? req.query._format : undefined;
      if (format !== undefined ? !formatIsJson(format) : !acceptsFhirJson(req.headers.accept)) {
        throw Errors.notAcceptable(
          `This server answers in application/fhir+json only; ${format !== undefined ? `_format=${format}` : `Accept: ${req.headers.accept}`} rules that out.`,
        );
      }
    }
    return next.handle();
  }
}
