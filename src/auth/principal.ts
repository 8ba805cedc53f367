import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Supplier } from './supplier-registry';

/** Who is calling: the authenticated client and the supplier it belongs to. Travels in commands. */
export interface Principal {
  clientId: string;
  supplier: Supplier;
}

declare module 'express' {
  interface Request {
    principal?: Principal;
  }
}

export const CurrentPrincipal = createParamDecorator((_d: unknown, ctx: ExecutionContext): Principal => {
  const p = ctx.switchToHttp().getRequest<Request>().principal;
  if (!p) throw new Error('CurrentPrincipal used on a route without authentication');
  return p;
});
