import { LoggerService } from '@nestjs/common';
import type { LogLevel } from '../config/app-config';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/**
 * Structured JSON lines on stdout. Callers pass fields, never bodies, tokens or NHS numbers: the
 * request log (see request-context.ts) records only ids, the route pattern, status and duration.
 */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly level: LogLevel = 'info',
    /** Fields on every line: a cluster worker's id and pid, so interleaved lines say who wrote them. */
    private readonly base?: Record<string, unknown>,
  ) {}

  protected write(level: Exclude<LogLevel, 'silent'>, msg: unknown, fields?: Record<string, unknown>, context?: string) {
    if (ORDER[level] < ORDER[this.level]) return;
    const line: Record<string, unknown> = { level, time: new Date().toISOString(), msg: typeof msg === 'string' ? msg : String(msg) };
    if (this.base) Object.assign(line, this.base);
    if (context) line.context = context;
    if (fields) Object.assign(line, fields);
    process.stdout.write(JSON.stringify(line) + '\n');
  }

  /** Nest's own start-up chatter (route mapping, module init) arrives here: kept at debug. */
  log(message: unknown, context?: string) {
    this.write('debug', message, undefined, typeof context === 'string' ? context : undefined);
  }
  info(msg: string, fields?: Record<string, unknown>) {
    this.write('info', msg, fields);
  }
  error(message: unknown, traceOrFields?: unknown, context?: string) {
    const fields =
      typeof traceOrFields === 'object' && traceOrFields !== null
        ? (traceOrFields as Record<string, unknown>)
        : traceOrFields
          ? { stack: traceOrFields }
          : undefined;
    this.write('error', message, fields, context);
  }
  warn(message: unknown, context?: unknown) {
    this.write(
      'warn',
      message,
      typeof context === 'object' ? (context as Record<string, unknown>) : undefined,
      typeof context === 'string' ? context : undefined,
    );
  }
  debug(message: unknown, context?: string) {
    this.write('debug', message, undefined, context);
  }
  verbose(message: unknown, context?: string) {
    this.write('debug', message, undefined, context);
  }
}
