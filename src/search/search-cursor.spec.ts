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
