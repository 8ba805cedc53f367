import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { Errors } from '../fhir/operation-outcome';
import type { Principal } from './principal';
import { IS_PUBLIC } from './public.decorator';
import { RateLimiter } from './rate-limiter';

/**
 * Global guard: every route needs a valid bearer token unless marked @Public(). Runs before pipes,
 * interceptors and body errors, so an unauthenticated caller learns nothing but 401. Then applies
 * the supplier's rate limit (429 with Retry-After).
 */
@Injectable()
export class BearerAuthGuard extends AuthGuard('jwt') {
  private readonly limiter = new RateLimiter();

  constructor(private readonly reflector: Reflector) {
    super();
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    await super.canActivate(context);
    const req = context.switchToHttp().getRequest<Request>();
    const principal = req.principal as Principal;
    const limit = principal.supplier.rateLimitPerSecond;
    if (limit !== null) {
      const wait = this.limiter.take(principal.supplier.name, limit);
      if (wait > 0) throw Errors.throttled(`Supplier ${principal.supplier.name} is over its rate limit of ${limit} requests per second.`, wait);
    }
    return true;
  }

  getAuthenticateOptions() {
    return { session: false, property: 'principal' };
  }

  getRequest(context: ExecutionContext) {
    return context.switchToHttp().getRequest();
  }

  handleRequest<T>(err: unknown, principal: T, info: unknown): T {
    if (err || !principal) {
      const why = info instanceof Error ? info.message : '';
      const detail = /expired/i.test(why) ? 'The access token has expired.' : why === 'No auth token' ? 'An Authorization: Bearer access token is required.' : 'The access token is not valid.';
      throw Errors.unauthorized(detail);
    }
    return principal;
  }
}
