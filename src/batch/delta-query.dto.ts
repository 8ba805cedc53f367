import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Min, ValidateBy } from 'class-validator';

const INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const CURSOR = /^(\d{1,19})\.(\d{1,18})$/;
const MAX_TXID = 2n ** 63n - 1n;

/** A cursor as `deltaCursor` hands it out: `<txid>.<seq>`, the txid within PostgreSQL's bigint. */
export function parseDeltaCursor(text: string): { txid: string; seq: string } | null {
  const m = CURSOR.exec(text);
  return m && BigInt(m[1]) <= MAX_TXID ? { txid: m[1], seq: m[2] } : null;
}

/**
 * The query of GET /batch/delta, checked by FhirValidationPipe: each parameter at most once (a
 * repeat arrives as an array and fails the string rule first), `_since` a real instant, `_count` a
 * whole number from 1 (the controller caps it at BATCH_DELTA_MAX_COUNT), `_cursor` one this service
 * handed out. Rules are listed in the order their failures are reported; the first failure is the
 * 400 INVALID OperationOutcome's diagnostics. Unknown parameters are dropped, as before.
 */
export class DeltaQueryDto {
  @IsOptional()
  @ValidateBy(
    {
      name: 'isInstant',
      validator: { validate: (v: unknown) => typeof v === 'string' && INSTANT.test(v) && !Number.isNaN(new Date(v).getTime()) },
    },
    { message: (a) => `_since must be an instant such as 2026-01-31T09:00:00Z, got ${JSON.stringify(String(a.value).slice(0, 40))}.` },
  )
  @IsString({ message: '_since may be given once.' })
  _since?: string;

  @IsOptional()
  @Min(1, { message: '_count must be a whole number from 1 (larger pages are cut to the configured maximum).' })
  @IsInt({ message: '_count must be a whole number from 1 (larger pages are cut to the configured maximum).' })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value))
  @ValidateBy({ name: 'once', validator: { validate: (v: unknown) => !Array.isArray(v) } }, { message: '_count may be given once.' })
  _count?: number;

  @IsOptional()
  @ValidateBy(
    { name: 'isDeltaCursor', validator: { validate: (v: unknown) => typeof v === 'string' && parseDeltaCursor(v) !== null } },
    { message: '_cursor is not a cursor this service handed out.' },
  )
  @IsString({ message: '_cursor may be given once.' })
  _cursor?: string;
}
