import { dateTimeSpan, isInFuture, isRealDate, parseOccurrenceDateTime, parseRecorded, ukToday } from './fhir-date';

describe('isRealDate', () => {
  it.each(['2024-02-29', '2000-02-29', '1965-02-28', '0001-01-01', '2021-12-31'])('accepts %s', (d) => expect(isRealDate(d)).toBe(true));
  it.each([
    '2023-02-29',
    '1900-02-29',
    '2021-04-31',
    '2021-13-01',
    '2021-00-10',
    '2021-01-00',
    '2021-1-01',
    '2021-01',
    '0000-01-01',
    ' 2021-01-01',
    20210101,
    null,
  ])('rejects %p', (d) => expect(isRealDate(d)).toBe(false));
});

describe('parseOccurrenceDateTime / parseRecorded', () => {
  it('reads the instant with its offset', () => {
    expect(parseOccurrenceDateTime('2021-06-07T13:28:17.271+01:00')).toEqual({
      kind: 'dateTime',
      date: '2021-06-07',
      epochMs: Date.parse('2021-06-07T12:28:17.271Z'),
    });
    expect(parseOccurrenceDateTime('2021-06-07T13:28:17+0100')).toEqual({
      kind: 'dateTime',
      date: '2021-06-07',
      epochMs: Date.parse('2021-06-07T12:28:17Z'),
    });
    expect(parseRecorded('2021-06-07T08:28:17.123456-05:00')).toEqual({
      kind: 'dateTime',
      date: '2021-06-07',
      epochMs: Date.parse('2021-06-07T13:28:17.123Z'),
    });
    expect(parseRecorded('2021-06-07')).toEqual({ kind: 'date', date: '2021-06-07' });
  });

  it('keeps occurrence offsets to UK ones and recorded offsets to real ones', () => {
    expect(parseOccurrenceDateTime('2021-06-07T13:28:17Z')).toBeNull();
    expect(parseOccurrenceDateTime('2021-06-07T13:28:17+02:00')).toBeNull();
    expect(parseRecorded('2021-06-07T13:28:17Z')).not.toBeNull();
    expect(parseRecorded('2021-06-07T13:28:17+14:00')).not.toBeNull();
    expect(parseRecorded('2021-06-07T13:28:17+14:30')).toBeNull();
    expect(parseRecorded('2021-06-07T13:28:17-12:00')).not.toBeNull();
  });

  it.each(['2021-02-30T10:00:00+00:00', '2021-02-07T10:00:60+00:00', '2021-02-07T10:00+00:00', '', 5])('rejects %p', (v) => {
    expect(parseOccurrenceDateTime(v)).toBeNull();
    expect(parseRecorded(v)).toBeNull();
  });
});

describe('not in the future', () => {
  const now = new Date('2026-03-29T00:30:00Z'); // UK clocks went forward at 01:00 UTC that day: still GMT

  it('compares instants exactly', () => {
    expect(isInFuture(parseRecorded('2026-03-29T00:30:00Z')!, now)).toBe(false);
    expect(isInFuture(parseRecorded('2026-03-29T00:30:00.001Z')!, now)).toBe(true);
    expect(isInFuture(parseRecorded('2026-03-29T01:30:00+01:00')!, now)).toBe(false);
  });

  it('compares dates with the UK calendar date', () => {
    expect(ukToday(now)).toBe('2026-03-29');
    expect(ukToday(new Date('2026-06-30T23:00:00Z'))).toBe('2026-07-01'); // BST
    expect(ukToday(new Date('2026-12-31T23:00:00Z'))).toBe('2026-12-31'); // GMT
    expect(isInFuture(parseRecorded('2026-03-29')!, now)).toBe(false);
    expect(isInFuture(parseRecorded('2026-03-30')!, now)).toBe(true);
  });
});

describe('dateTimeSpan', () => {
  it.each([
    ['2020', '2020-01-01T00:00:00.000Z', '2020-12-31T23:59:59.999Z'],
    ['2020-02', '2020-02-01T00:00:00.000Z', '2020-02-29T23:59:59.999Z'],
    ['2020-02-07', '2020-02-07T00:00:00.000Z', '2020-02-07T23:59:59.999Z'],
    ['2020-02-07T10:00:00+01:00', '2020-02-07T09:00:00.000Z', '2020-02-07T09:00:00.000Z'],
  ])('%s spans %s to %s', (v, low, high) => {
    expect(dateTimeSpan(v)).toEqual({ low: Date.parse(low), high: Date.parse(high) });
  });
  it.each(['2020-13', '2020-02-30', 'soon', 2020])('is null for %p', (v) => expect(dateTimeSpan(v)).toBeNull());
});
