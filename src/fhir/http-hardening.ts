import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '../config/app-config';
import { FHIR_JSON_UTF8 } from './media-types';
import { Errors, FhirError, issue } from './operation-outcome';

/** How often Node checks connections against the headers/request timeouts (its default is 30 s). */
export const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/**
 * Timeouts on the HTTP server, set before `listen` (Node reads the check interval when listening):
 * headers must arrive within HTTP_HEADERS_TIMEOUT_MS and the whole request, body included, within
 * HTTP_REQUEST_TIMEOUT_MS, so a slow-loris client cannot hold a connection for minutes; idle
 * keep-alive connections close after HTTP_KEEP_ALIVE_TIMEOUT_MS.
 */
export function applyServerLimits(server: Server, config: AppConfig) {
  server.headersTimeout = config.httpHeadersTimeoutMs;
  server.requestTimeout = config.httpRequestTimeoutMs;
  server.keepAliveTimeout = config.httpKeepAliveTimeoutMs;
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    TIMEOUT_CHECK_INTERVAL_MS,
    config.httpHeadersTimeoutMs,
  );
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => answerClientError(err, socket));
}

/** The answer for an error Node's HTTP parser raised before any route ran. */
export function clientErrorFor(code: string | undefined): FhirError {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new FhirError(408, [issue('error', 'timeout', 'TIMEOUT', 'The request was not received in time; the connection is closed.')]);
    case 'HPE_HEADER_OVERFLOW':
      return new FhirError(431, [issue('error', 'too-long', 'TOO-LARGE', 'The request headers are too large.')]);
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return Errors.tooLarge('A chunk extension is too large.');
    default:
      return Errors.invalid('The request is not well-formed HTTP/1.1.');
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
};

/**
 * Node answers parser errors with an empty 400/408/431; this writes the same status with an
 * OperationOutcome body, when nothing of a response has been sent on the socket yet, and closes it.
 */
function answerClientError(err: Error & { code?: string }, socket: Socket) {
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const error = clientErrorFor(err.code);
  const body = JSON.stringify(error.outcome());
  socket.end(
    `HTTP/1.1 ${error.status} ${REASONS[error.status] ?? 'Bad Request'}\r\n` +
      `Content-Type: ${FHIR_JSON_UTF8}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      'X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n' +
      body,
  );
}

/** Swagger UI (/docs) loads its own script, styles and images; everything else is JSON. */
const DOCS_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Security headers on every response (a small helmet equivalent): no MIME sniffing, no framing,
 * no referrer, a CSP (Swagger UI's own for /docs), HSTS when configured (behind https), and
 * `Cache-Control: no-store` (answers hold patient data) unless a route sets its own.
 */
export function securityHeaders(config: AppConfig) {
  const hsts = config.hstsMaxAgeSeconds > 0 ? `max-age=${config.hstsMaxAgeSeconds}; includeSubDomains` : null;
  return (req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    const docs = req.path === '/docs' || req.path.startsWith('/docs/') || req.path === '/docs-json';
    res.setHeader('Content-Security-Policy', docs ? DOCS_CSP : API_CSP);
    if (hsts) res.setHeader('Strict-Transport-Security', hsts);
    if (!docs) res.setHeader('Cache-Control', 'no-store');
    next();
  };
}

/**
 * CORS: off unless CORS_ALLOWED_ORIGINS lists origins. A listed Origin gets the Access-Control
 * headers (and preflights a 204); any other origin gets none, so browsers refuse the response.
 */
export function cors(config: AppConfig) {
  const allowed = new Set(config.corsAllowedOrigins);
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (allowed.size === 0 || typeof origin !== 'string' || !allowed.has(origin)) return next();
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.append('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', 'ETag, Location, Content-Location, X-Request-ID, X-Correlation-ID, Retry-After');
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, PUT, DELETE');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Accept, If-Match, E-Tag, X-Request-ID, X-Correlation-ID');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}
