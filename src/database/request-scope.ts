import { AsyncLocalStorage } from 'node:async_hooks';

/** Per-request facts gathered along the way (for the request log line), without request-scoped DI. */
export interface RequestScope {
  sqlStatements: number;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();

export function countStatement() {
  const s = requestScope.getStore();
  if (s) s.sqlStatements++;
}
