import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { requestScope } from '../database/request-scope';
import type { JsonLogger } from '../logging/json-logger';
import type { MetricsService } from '../metrics/metrics.service';

declare module 'express' {
  interface Request {
    requestId?: string;
  }
}

const MIRRORED = ['x-request-id', 'x-correlation-id'] as const;

/**
 * First middleware of every request: mirrors X-Request-ID / X-Correlation-ID (set before anything
 * can answer, so error responses carry them too), then logs and measures the request when it ends.
 * The log line holds the route *pattern*, never the URL: query strings can carry NHS numbers.
 * `sqlStatements` counts what the request sent to the database (transaction control excluded).
 */
export function requestContext(logger: JsonLogger, metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    for (const name of MIRRORED) {
      const v = req.headers[name];
      if (typeof v === 'string' && v.length > 0 && v.length <= 200) res.setHeader(name, v);
    }
    const sent = req.headers['x-request-id'];
    req.requestId = typeof sent === 'string' && sent.length > 0 && sent.length <= 200 ? sent : randomUUID();
    const scope = requestScope.getStore();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route?.path ? String(req.route.path) : 'unmatched';
      metrics.observe(req.method, route, res.statusCode, seconds);
      logger.info('request', {
        requestId: req.requestId,
        method: req.method,
        route,
        status: res.statusCode,
        durationMs: Math.round(seconds * 1e6) / 1e3,
        sqlStatements: scope?.sqlStatements ?? 0,
      });
    });
    next();
  };
}
