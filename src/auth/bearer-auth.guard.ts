import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AUDIT_INTERACTION } from '../audit/audit.decorator';
import { fhirIdOrNull, versionOrNull } from '../audit/audit-record';
import { FHIR_INTERACTION } from '../fhir/capability/fhir-interaction.decorator';
import { Errors } from '../fhir/operation-outcome';
import { AccessTokenVerifier } from './access-token-verifier';
import { IS_PUBLIC } from './public.decorator';
import { SharedRateLimiter } from './shared-rate-limiter';

/**
 * Global guard: every route needs a valid bearer token unless marked @Public(). Guards run before
 * interceptors and parameter decoding, so an unauthenticated caller learns nothing but 401 (body
 * errors are raised later). Then the supplier's rate limit applies (429 with Retry-After).
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: AccessTokenVerifier,
    private readonly limiter: SharedRateLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    this.markForAudit(context, req);
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const principal = await this.verifier.verify(req);
    req.principal = principal;
    const limit = principal.supplier.rateLimitPerSecond;
    if (limit !== null) {
      const wait = await this.limiter.take(principal.supplier.name, limit);
      if (wait > 0)
        throw Errors.throttled(`Supplier ${principal.supplier.name} is over its rate limit of ${limit} requests per second.`, wait);
    }
    return true;
  }

  /** Names the interaction (and the resource from the path) for the audit trail, before anything can refuse. */
  private markForAudit(context: ExecutionContext, req: Request) {
    const fhir = this.reflector.get<{ resource: string; code: string } | undefined>(FHIR_INTERACTION, context.getHandler());
    const other = this.reflector.get<string | undefined>(AUDIT_INTERACTION, context.getHandler());
    if (!fhir && !other) return;
    const params = (req.params ?? {}) as Record<string, string | undefined>;
    req.audit = {
      interaction: fhir?.code ?? other!,
      resourceType: fhir?.resource ?? null,
      resourceId: fhirIdOrNull(params.id),
      version: versionOrNull(params.vid),
    };
  }
}
