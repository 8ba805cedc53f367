import { timingSafeEqual } from 'node:crypto';
import { Controller, Headers, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../auth/public.decorator';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Database } from '../../database/database';
import { Errors } from '../../fhir/operation-outcome';
import { NhsNumber } from '../../kernel/terminology';
import { MnsInboxRepository } from './mns-inbox.repository';
import { MnsInboxWorker } from './mns-inbox.worker';

export const NHS_NUMBER_CHANGE = 'nhs-number-change-1';

function sameKey(given: string | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Inbound NHS Multicast Notification Service deliveries (CloudEvents 1.0). Authenticated by the
 * shared `x-api-key`, not a bearer token. An `nhs-number-change-1` event is stored before the 202,
 * so a crash afterwards loses nothing; the inbox worker does the rest.
 */
@ApiExcludeController()
@Public()
@Controller('mns/events')
export class MnsEventsController {
  constructor(
    private readonly db: Database,
    private readonly inbox: MnsInboxRepository,
    private readonly worker: MnsInboxWorker,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(202)
  async receive(@Headers('x-api-key') apiKey: string | undefined, @Req() req: Request, @Res() res: Response) {
    if (!this.worker.enabled) throw Errors.notFound('Inbound MNS events are not enabled on this server.');
    if (!sameKey(apiKey, this.config.mnsInboundApiKey!)) throw Errors.unauthorized('Missing or wrong x-api-key.');
    const body = req.parsedBody ?? { kind: 'none' };
    if (body.kind === 'error') throw body.error;
    if (body.kind !== 'json') throw Errors.invalid('The request needs a CloudEvent as application/cloudevents+json.');
    const e = body.value as Record<string, unknown> | null;
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw Errors.invalid('The body must be a CloudEvent object.');
    for (const attr of ['specversion', 'id', 'source', 'type'] as const) {
      if (typeof e[attr] !== 'string' || !e[attr]) throw Errors.invalid(`The CloudEvent needs a non-empty string "${attr}".`);
    }
    if (e.specversion !== '1.0') throw Errors.invalid(`CloudEvents specversion ${String(e.specversion)} is not supported: send 1.0.`);
    if ((e.id as string).length > 200) throw Errors.invalid('The CloudEvent id is longer than 200 characters.');
    if (e.type !== NHS_NUMBER_CHANGE) {
      res.status(202).end();
      return;
    }
    const problem = NhsNumber.problem(e.subject);
    if (problem) throw Errors.invalid(`The CloudEvent subject must be the NHS number that changed: it ${problem}.`);
    await this.inbox.store(this.db, { id: e.id as string, type: e.type, subject: e.subject as string, event: e });
    this.worker.nudge();
    res.status(202).end();
  }
}
