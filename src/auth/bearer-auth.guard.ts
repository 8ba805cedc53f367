import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
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
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const req = context.switchToHttp().getRequest<Request>();
    const principal = await this.verifier.verify(req);
    req.principal = principal;
    const limit = principal.supplier.rateLimitPerSecond;
    if (limit !== null) {
      const wait = await this.limiter.take(principal.supplier.name, limit);
      if (wait > 0) throw Errors.throttled(`Supplier ${principal.supplier.name} is over its rate limit of ${limit} requests per second.`, wait);
    }
    return true;
  }
}
