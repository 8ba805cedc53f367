import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { Errors } from './operation-outcome';

/** The JSON body of a FHIR request, or the precise 400/415 the body reader recorded. */
export const FhirJsonBody = createParamDecorator((_data: unknown, ctx: ExecutionContext): unknown => {
  const body = ctx.switchToHttp().getRequest<Request>().parsedBody ?? { kind: 'none' };
  switch (body.kind) {
    case 'json':
      return body.value;
    case 'error':
      throw body.error;
    case 'form':
      throw Errors.unsupportedMediaType(
        'Content-Type application/x-www-form-urlencoded is not supported here: send application/fhir+json.',
      );
    default:
      throw Errors.invalid('The request needs a JSON body.');
  }
});

/** The form body of a request (POST _search, the token endpoint), or the recorded 400/415. */
export const FormBody = createParamDecorator((_data: unknown, ctx: ExecutionContext): URLSearchParams => {
  const body = ctx.switchToHttp().getRequest<Request>().parsedBody ?? { kind: 'none' };
  switch (body.kind) {
    case 'form':
      return body.value;
    case 'none':
      return new URLSearchParams();
    case 'error':
      throw body.error;
    default:
      throw Errors.unsupportedMediaType('This endpoint takes an application/x-www-form-urlencoded body.');
  }
});
