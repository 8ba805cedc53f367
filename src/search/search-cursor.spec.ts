import { decodeCursor, encodeCursor } from './search-cursor';

describe('search cursor', () => {
  const cursor = { at: '2024-03-10T23:30:00.123456Z', id: '0b6ea0a9-4d5e-4c8f-9d7e-2a7d8c3e1f00' };

  it('round-trips and is URL-safe', () => {
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  it.each([
    '',
    'not base64!',
    Buffer.from('2024-03-10T23:30:00Z|0b6ea0a9-4d5e-4c8f-9d7e-2a7d8c3e1f00').toString('base64url'),
    Buffer.from('2024-03-10T23:30:00.123456Z|not-a-uuid').toString('base64url'),
    Buffer.from('2024-13-10T23:30:00.123456Z|0b6ea0a9-4d5e-4c8f-9d7e-2a7d8c3e1f00').toString('base64url'),
    Buffer.from(`${cursor.at}|${cursor.id}|x`).toString('base64url'),
  ])('refuses %p', (text) => {
    expect(decodeCursor(text)).toBeNull();
  });
});

describe('decodeCursor refuses impossible calendar dates (they reached PostgreSQL as a 500)', () => {
  const enc = (at: string) => Buffer.from(`${at}|0b9f5a8e-5d7c-4a8e-9f51-1d8a3c2b4e6f`).toString('base64url');
  it.each(['2024-06-31T00:00:00.000000Z', '2023-02-29T00:00:00.000000Z', '2024-01-01T24:00:00.000000Z', '2024-01-01T10:60:00.000000Z'])(
    '%s',
    (at) => {
      expect(decodeCursor(enc(at))).toBeNull();
    },
  );
  it('a leap day is fine', () => expect(decodeCursor(enc('2024-02-29T23:59:59.999999Z'))).not.toBeNull());
});
