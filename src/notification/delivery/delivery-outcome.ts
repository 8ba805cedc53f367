/** Why a delivery did not succeed, as a small fixed set (a metric label). */
export type FailureReason = 'http_status' | 'timeout' | 'network' | 'endpoint_refused' | 'broker' | 'aborted';

/** What one delivery attempt came to. */
export interface DeliveryOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  reason: FailureReason | null;
  durationMs: number;
}

export const DELIVERY_TIMEOUT_MS = 10_000;
