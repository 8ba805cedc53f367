import { Module } from '@nestjs/common';
import { ImmunizationModule } from '../immunization/immunization.module';
import { BatchController } from './batch.controller';
import { BatchMetrics } from './batch.metrics';
import { BatchStore } from './infrastructure/batch.store';
import { AckWriter } from './ingest/ack-writer';
import { BatchProcessor } from './ingest/batch-processor';
import { BatchReceiver } from './ingest/batch-receiver';
import { InboxWatcher } from './ingest/inbox-watcher';

/**
 * The batch channel (contract §8, docs/batch.md): supplier CSV files in (upload route, drop
 * folder), a durable PostgreSQL job queue that applies their rows through the Immunization
 * module's ApplyImmunizationRow command, acknowledgement files out, and the flat delta export.
 */
@Module({
  imports: [ImmunizationModule],
  controllers: [BatchController],
  providers: [BatchStore, BatchMetrics, AckWriter, BatchReceiver, BatchProcessor, InboxWatcher],
})
export class BatchModule {}
