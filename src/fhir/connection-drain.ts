import type { Server } from 'node:http';
import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';

/**
 * Graceful shutdown with keep-alive clients. Node's server.close() waits for every open connection,
 * and a keep-alive connection whose request was in flight stays open for keepAliveTimeout after its
 * answer, so a SIGTERM took 5 s longer than the slowest request. From shutdown on, every answer says
 * `Connection: close` and idle sockets are closed at once.
 */
@Injectable()
export class ConnectionDrain implements BeforeApplicationShutdown {
  private draining = false;
  private readonly open = new Set<Response>();

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  readonly middleware = (_req: Request, res: Response, next: NextFunction) => {
    if (this.draining) res.setHeader('Connection', 'close');
    else {
      this.open.add(res);
      res.once('close', () => this.open.delete(res));
    }
    next();
  };

  beforeApplicationShutdown() {
    this.draining = true;
    for (const res of this.open) if (!res.headersSent) res.setHeader('Connection', 'close');
    (this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined)?.closeIdleConnections?.();
  }
}
