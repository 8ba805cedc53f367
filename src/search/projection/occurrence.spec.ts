import { occurrenceDate, occurrenceInstant } from './occurrence';

describe('occurrence', () => {
  it('keeps a date-time with its offset, whatever the offset form', () => {
    expect(occurrenceInstant('2025-11-06T21:07:56.947+00:00')).toBe('2025-11-06T21:07:56.947+00:00');
    expect(occurrenceInstant('2025-11-06T00:30:00+0100')).toBe('2025-11-06T00:30:00+0100');
  });

  it('pins a bare date to midnight UTC', () => {
    expect(occurrenceInstant('2024-02-29')).toBe('2024-02-29T00:00:00+00:00');
  });

  it('takes the calendar date as written, not the UTC date', () => {
    // 00:30 at +01:00 is 23:30 UTC the day before; searches go by the date the clinician wrote.
    expect(occurrenceDate('2025-11-06T00:30:00+01:00')).toBe('2025-11-06');
    expect(occurrenceDate('2024-02-29')).toBe('2024-02-29');
  });
});
