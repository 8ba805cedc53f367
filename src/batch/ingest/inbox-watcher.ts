import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SupplierRegistry } from '../../auth/supplier-registry';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Database } from '../../database/database';
import { JsonLogger } from '../../logging/json-logger';
import { infAck, Refusal } from '../domain/acks';
import { parseBatchFileName } from '../domain/file-name';
import { BatchStore } from '../infrastructure/batch.store';
import { AckWriter } from './ack-writer';
import { BatchProcessor } from './batch-processor';
import { BatchReceiver, UploadRefused } from './batch-receiver';

/**
 * The optional drop folder (BATCH_INBOX_DIR): each file placed there is taken as if uploaded by
 * the supplier that owns the ODS code in its name. A file is claimed by renaming it into
 * `.taken/` (atomic, so instances sharing the folder never take the same file), received, then
 * removed. Acknowledgements go to BATCH_ACK_DIR. A claim whose instance died while storing the
 * file is taken again once it is BATCH_INBOX_RECLAIM_MS old (the claiming rename sets its ctime).
 */
@Injectable()
export class InboxWatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> | null = null;

  constructor(
    private readonly receiver: BatchReceiver,
    private readonly processor: BatchProcessor,
    private readonly suppliers: SupplierRegistry,
    private readonly acks: AckWriter,
    private readonly store: BatchStore,
    private readonly db: Database,
    private readonly logger: JsonLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap() {
    if (!this.config.batch.inboxDir) return;
    this.timer = setInterval(() => {
      if (!this.busy) this.busy = this.scan().finally(() => (this.busy = null));
    }, this.config.batch.inboxPollMs);
    this.timer.unref();
    this.logger.info('batch drop folder watched', { inbox: this.config.batch.inboxDir, acks: this.config.batch.ackDir });
  }

  async onModuleDestroy() {
    if (this.timer) clearInterval(this.timer);
    await this.busy;
  }

  async scan() {
    const inbox = this.config.batch.inboxDir!;
    const taken = join(inbox, '.taken');
    try {
      await mkdir(taken, { recursive: true });
      await this.reclaimAbandoned(inbox, taken);
      for (const name of (await readdir(inbox)).sort()) {
        if (name.startsWith('.')) continue;
        const from = join(inbox, name);
        if (!(await stat(from).catch(() => null))?.isFile()) continue;
        const claimed = join(taken, name);
        try {
          await rename(from, claimed);
        } catch {
          continue; // another instance took it
        }
        await this.take(name, claimed);
      }
    } catch (e) {
      this.logger.warn('batch drop folder scan failed', { error: (e as Error).message });
    }
  }

  /** Puts claims left by a stopped instance back in the inbox (or removes them if already stored). */
  private async reclaimAbandoned(inbox: string, taken: string) {
    const after = this.config.batch.inboxReclaimMs;
    for (const name of await readdir(taken)) {
      const path = join(taken, name);
      const claim = await stat(path).catch(() => null);
      if (!claim?.isFile() || Date.now() - claim.ctimeMs < after) continue;
      const stored = await this.store.byName(this.db, name);
      if (stored && stored.status !== 'receiving') {
        await rm(path, { force: true });
        this.logger.warn('batch drop folder: removed the leftover claim of a file already received', { file: name, status: stored.status });
        continue;
      }
      await this.store.dropAbandonedReceiving(this.db, name, after);
      try {
        await rename(path, join(inbox, name));
      } catch {
        continue; // another instance put it back first
      }
      this.logger.warn('batch drop folder: a claim abandoned by a stopped instance is taken again', {
        file: name,
        claimedSecondsAgo: Math.round((Date.now() - claim.ctimeMs) / 1000),
      });
    }
  }

  private async take(name: string, path: string) {
    const parsed = parseBatchFileName(name);
    const supplier = 'error' in parsed ? null : (this.suppliers.byOdsCode(parsed.odsCode) ?? null);
    try {
      await this.receiver.receive(name, supplier, createReadStream(path), 'inbox');
      this.processor.nudge();
    } catch (e) {
      const refusal = e instanceof UploadRefused ? (e.refusal ?? e.message) : 'Not processed - the file could not be read';
      this.logger.warn('batch file refused', { file: name, reason: refusal });
      const ack = infAck({
        fileId: '',
        receivedAt: new Date(),
        mailboxFrom: 'error' in parsed ? '' : parsed.odsCode,
        localId: name,
        refusal,
      });
      // A duplicate must not overwrite the acknowledgement of the file first received under that name.
      await this.acks.writeRefusal(refusal === Refusal.duplicate ? `${name.replace(/\.csv$/i, '')}_${Date.now()}` : name, ack);
    } finally {
      await rm(path, { force: true });
    }
  }
}
