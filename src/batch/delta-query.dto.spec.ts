import { ArgumentMetadata } from '@nestjs/common';
import { FhirError } from '../fhir/operation-outcome';
import { FhirValidationPipe } from '../fhir/validation-pipe';
import { DeltaQueryDto, parseDeltaCursor } from './delta-query.dto';

const meta: ArgumentMetadata = { type: 'query', metatype: DeltaQueryDto };
const check = (query: Record<string, unknown>) => new FhirValidationPipe().transform(query, meta) as Promise<DeltaQueryDto>;

async function diagnostics(query: Record<string, unknown>): Promise<string | undefined> {
  const error = await check(query).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FhirError);
  const outcome = error as FhirError;
  expect(outcome.status).toBe(400);
  expect(outcome.issues.map((i) => i.code)).toEqual(['invalid']);
  return outcome.issues[0].diagnostics;
}

describe('DeltaQueryDto through FhirValidationPipe', () => {
  it('accepts the parameters as the next link writes them, _count as a number, and drops unknown ones', async () => {
    const dto = await check({ _since: '2026-01-31T09:00:00Z', _count: '0100', _cursor: '123.4', other: 'x' });
    expect(dto).toBeInstanceOf(DeltaQueryDto);
    expect({ ...dto }).toEqual({ _since: '2026-01-31T09:00:00Z', _count: 100, _cursor: '123.4' });
    expect({ ...(await check({})) }).toEqual({});
    expect((await check({ _since: '2026-01-31' }))._since).toBe('2026-01-31');
  });

  it.each([
    [{ _since: 'yesterday' }, '_since must be an instant such as 2026-01-31T09:00:00Z, got "yesterday".'],
    [{ _since: '2026-13-45T00:00:00Z' }, '_since must be an instant such as 2026-01-31T09:00:00Z, got "2026-13-45T00:00:00Z".'],
    [{ _since: ['2026-01-31', '2026-02-01'] }, '_since may be given once.'],
    [{ _count: '0' }, '_count must be a whole number from 1 (larger pages are cut to the configured maximum).'],
    [{ _count: 'abc' }, '_count must be a whole number from 1 (larger pages are cut to the configured maximum).'],
    [{ _count: '1.5' }, '_count must be a whole number from 1 (larger pages are cut to the configured maximum).'],
    [{ _count: '1234567890' }, '_count must be a whole number from 1 (larger pages are cut to the configured maximum).'],
    [{ _count: ['1', '2'] }, '_count may be given once.'],
    [{ _cursor: '1' }, '_cursor is not a cursor this service handed out.'],
    [{ _cursor: '99999999999999999999.1' }, '_cursor is not a cursor this service handed out.'],
    [{ _cursor: ['1.1', '1.2'] }, '_cursor may be given once.'],
    // Several problems: the first parameter in _since, _count, _cursor order is named.
    [{ _cursor: 'x', _count: '0', _since: 'no' }, '_since must be an instant such as 2026-01-31T09:00:00Z, got "no".'],
    [{ _cursor: 'x', _count: '0' }, '_count must be a whole number from 1 (larger pages are cut to the configured maximum).'],
  ])('refuses %j with one 400 INVALID', async (query, expected) => {
    expect(await diagnostics(query)).toBe(expected);
  });

  it('parses a cursor within the bigint range only', () => {
    expect(parseDeltaCursor('9223372036854775807.5')).toEqual({ txid: '9223372036854775807', seq: '5' });
    expect(parseDeltaCursor('9223372036854775808.5')).toBeNull();
  });
});
