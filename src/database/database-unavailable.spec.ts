import { DatabaseUnavailableError, isDatabaseUnavailable, isDatabaseUnreachable } from './database-unavailable';
import { describeConnectError } from './startup-check';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code, severity: 'FATAL' });
const netError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });

describe('isDatabaseUnavailable (503 transient) and isDatabaseUnreachable (fail fast)', () => {
  it.each([
    ['refused', netError('ECONNREFUSED'), true, true],
    ['reset', netError('ECONNRESET'), true, false],
    ['admin shutdown', pgError('57P01'), true, false],
    ['starting up', pgError('57P03'), true, true],
    ['statement timeout', pgError('57014'), true, false],
    ['lock timeout', pgError('55P03'), true, false],
    ['too many connections', pgError('53300'), true, false],
    ['connection exception', pgError('08006'), true, false],
    ['pool acquire timeout', new Error('timeout exceeded when trying to connect'), true, true],
    ['connect timeout', new Error('Connection terminated due to connection timeout'), true, true],
    ['frozen server', new Error('Query read timeout'), true, true],
    ['wrapped by TypeORM', Object.assign(new Error('Query read timeout'), { driverError: new Error('Query read timeout') }), true, true],
    ['breaker', new DatabaseUnavailableError('open'), true, false],
    ['unique violation', pgError('23505'), false, false],
    ['syntax error', pgError('42601'), false, false],
    ['a bug', new TypeError('x is undefined'), false, false],
  ])('%s', (_name, e, unavailable, unreachable) => {
    expect(isDatabaseUnavailable(e)).toBe(unavailable);
    expect(isDatabaseUnreachable(e)).toBe(unreachable);
  });
});

describe('describeConnectError (start-up)', () => {
  it.each([
    ['3D000', pgError('3D000', 'database "x" does not exist'), false],
    ['28000', pgError('28000', 'role "x" does not exist'), false],
    ['28P01', pgError('28P01', 'password authentication failed for user "x"'), false],
    ['57P03', pgError('57P03', 'the database system is starting up'), true],
    ['ECONNREFUSED', netError('ECONNREFUSED'), true],
    ['ENOTFOUND', netError('ENOTFOUND'), false],
    ['timeout', new Error('timeout expired'), true],
  ])('%s', (_name, e, retry) => {
    const d = describeConnectError(e);
    expect(d.retry).toBe(retry);
    expect(d.reason).not.toContain('\n');
  });
});
