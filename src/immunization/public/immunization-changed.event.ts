import type { ImmunizationChange } from './immunization-change';

/**
 * Published on the EventBus after the write transaction commits: a nudge (relay wake-up, metrics,
 * logs). Nothing that must not be lost depends on it; the outbox row written in the transaction does.
 */
export class ImmunizationChanged {
  constructor(readonly change: ImmunizationChange) {}
}
