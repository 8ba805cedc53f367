import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Database } from '../../database/database';
import { DomainError } from '../../kernel/domain-error';
import { JsonLogger } from '../../logging/json-logger';
import { InvalidateNhsNumber } from '../commands/invalidate-nhs-number/invalidate-nhs-number.command';
import { MergePatient } from '../commands/merge-patient/merge-patient.command';
import { PatientDirectory } from '../directory/patient-directory';
import { InboxEvent, MnsInboxRepository } from './mns-inbox.repository';

const RETRY_MAX_MS = 300_000;

/**
 * Works off the inbox of accepted `nhs-number-change-1` events: asks PDS what became of the
 * subject, then merges (same command as $merge) or invalidates. Runs only when inbound events are
 * enabled. Each event is processed at least once (a lease, not a transaction, spans the PDS call);
 * merging and invalidating are idempotent, so a second run changes nothing.
 */
@Injectable()
export class MnsInboxWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private running = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly db: Database,
    private readonly inbox: MnsInboxRepository,
    private readonly directory: PatientDirectory,
    private readonly commands: CommandBus,
    private readonly logger: JsonLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get enabled(): boolean {
    return this.config.mnsInboundApiKey !== null && this.directory.configured;
  }

  onApplicationBootstrap() {
    if (!this.enabled) return;
    this.running = true;
    this.loop = this.run();
  }

  async onModuleDestroy() {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** A new event was stored: look now instead of at the next poll. */
  nudge() {
    this.wake?.();
  }

  private async run() {
    while (this.running) {
      let worked = false;
      try {
        const event = await this.inbox.claim(this.db, this.config.mnsInboxLeaseMs);
        if (event) {
          worked = true;
          await this.process(event);
        }
      } catch (e) {
        this.logger.warn('mns inbox: claim failed', { error: (e as Error).message });
      }
      if (!worked && this.running) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.config.mnsInboxPollMs);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }

  private async process(event: InboxEvent) {
    let outcome: string;
    try {
      const answer = await this.directory.lookup(event.subject);
      if (answer.kind === 'current') outcome = 'current';
      else if (answer.kind === 'not-found') {
        await this.commands.execute(new InvalidateNhsNumber(event.subject, `mns:${event.eventId}`));
        outcome = 'invalidated';
      } else {
        const r = await this.commands.execute(new MergePatient(event.subject, answer.by, null, `mns:${event.eventId}`));
        outcome = `merged: moved ${r.moved}`;
      }
    } catch (e) {
      if (e instanceof DomainError) {
        // The merge was refused (e.g. it would make a cycle): retrying cannot help.
        outcome = `refused: ${e.message}`;
        this.logger.warn('mns inbox: event refused', { eventId: event.eventId, reason: e.message });
      } else {
        const delay = Math.min(RETRY_MAX_MS, 1000 * 2 ** Math.min(event.attempts - 1, 16));
        this.logger.warn('mns inbox: will retry', {
          eventId: event.eventId,
          attempts: event.attempts,
          delayMs: delay,
          error: (e as Error).message,
        });
        await this.inbox.retryLater(this.db, event.eventId, delay, (e as Error).message).catch(() => undefined);
        return;
      }
    }
    await this.inbox.done(this.db, event.eventId, outcome);
    this.logger.info('mns event processed', { eventId: event.eventId, outcome });
  }
}
