import { createWriteStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Database } from '../../database/database';
import { JsonLogger } from '../../logging/json-logger';
import { busAckHeader, busAckLine } from '../domain/acks';
import { summaryDocument } from '../domain/status';
import { BatchFileRow, BatchStore } from '../infrastructure/batch.store';

const PAGE = 1000;

/** The acknowledgement files: BusAck lines streamed from the failures table, and the drop folder's copies. */
@Injectable()
export class AckWriter {
  constructor(
    private readonly db: Database,
    private readonly store: BatchStore,
    private readonly logger: JsonLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The BusAck, a page of failed rows at a time. */
  async *busAck(file: BatchFileRow): AsyncGenerator<string> {
    yield busAckHeader();
    const meta = { fileId: file.id, receivedAt: new Date(file.received_at), mailboxFrom: file.ods_code };
    let after = 0;
    for (;;) {
      const page = await this.store.failures(this.db, file.id, after, PAGE);
      if (page.length === 0) return;
      yield page
        .map((f) => busAckLine({ rowNumber: f.row_number, localId: f.local_id, immsId: f.imms_id, diagnostics: f.diagnostics }, meta))
        .join('');
      after = page[page.length - 1].row_number;
    }
  }

  private base(file: BatchFileRow) {
    return file.file_name.replace(/\.csv$/i, '');
  }

  /** Written next to each other in BATCH_ACK_DIR, each through a temporary name and a rename. */
  async writeInfAck(file: BatchFileRow) {
    if (!this.config.batch.ackDir || file.inf_ack === null) return;
    await this.atomically(`${this.base(file)}_InfAck.csv`, (tmp) => writeFile(tmp, file.inf_ack!));
  }

  async writeBusAck(file: BatchFileRow) {
    if (!this.config.batch.ackDir) return;
    await this.atomically(`${this.base(file)}_BusAck.csv`, async (tmp) => {
      const out = createWriteStream(tmp);
      for await (const piece of this.busAck(file)) if (!out.write(piece)) await once(out, 'drain');
      out.end();
      await once(out, 'finish');
    });
    await this.atomically(`${this.base(file)}_summary.json`, (tmp) =>
      writeFile(tmp, JSON.stringify(summaryDocument(file), null, 2) + '\n'),
    );
  }

  /** A refusal before anything was stored (drop folder only): just the InfAck text. */
  async writeRefusal(fileName: string, text: string) {
    if (!this.config.batch.ackDir) return;
    await this.atomically(`${fileName.replace(/\.csv$/i, '')}_InfAck.csv`, (tmp) => writeFile(tmp, text));
  }

  private async atomically(name: string, write: (tmp: string) => Promise<unknown>) {
    const dir = this.config.batch.ackDir!;
    try {
      await mkdir(dir, { recursive: true });
      const tmp = join(dir, `.${name}.${process.pid}.tmp`);
      await write(tmp);
      await rename(tmp, join(dir, name));
    } catch (e) {
      this.logger.error('writing a batch acknowledgement file failed', { file: name, error: (e as Error).message });
    }
  }
}
