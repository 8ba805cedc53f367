import { Injectable, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { Errors } from './operation-outcome';

/** The message of the first failing rule: a presence rule before any other on the same field. */
function firstMessage(errors: ValidationError[]): string {
  const error = errors[0];
  if (!error) return 'The request is not valid.';
  if (!error.constraints && error.children?.length) return firstMessage(error.children);
  const constraints = error.constraints ?? {};
  return constraints.isDefined ?? constraints.isNotEmpty ?? Object.values(constraints)[0] ?? `${error.property} is not valid.`;
}

/**
 * class-validator DTOs for inputs that are not FHIR resources (the token form, …): Nest's
 * ValidationPipe, whose failures leave as the contract's 400 INVALID OperationOutcome
 * (docs/api.md §3) naming the first problem, never Nest's own error shape.
 */
export class FhirValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      whitelist: true,
      forbidUnknownValues: true,
      validateCustomDecorators: true,
      exceptionFactory: (errors) => Errors.invalid(firstMessage(errors)),
    });
  }
}

/**
 * A form body as a plain object for a DTO: each field sent exactly once keeps its value; a field
 * sent twice becomes absent, so its DTO rule ("required, once") refuses it.
 */
@Injectable()
export class FormFieldsPipe implements PipeTransform<URLSearchParams, Record<string, string | undefined>> {
  transform(form: URLSearchParams): Record<string, string | undefined> {
    const out: Record<string, string | undefined> = {};
    for (const name of new Set(form.keys())) {
      const values = form.getAll(name);
      out[name] = values.length === 1 ? values[0] : undefined;
    }
    return out;
  }
}
