import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import type { Supplier } from '../../auth/supplier-registry';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Database } from '../../database/database';
import { DomainError } from '../../kernel/domain-error';
import { JsonLogger } from '../../logging/json-logger';
import { infAck, Refusal } from '../domain/acks';
import { PipeCsvParser } from '../domain/csv';
import { parseBatchFileName } from '../domain/file-name';
import { FLAT_FIELDS } from '../domain/flat-record';
import { BatchFileRow, BatchStore } from '../infrastructure/batch.store';
import { AckWriter } from './ack-writer';
import { BatchMetrics } from '../batch.metrics';

/** Bytes per stored chunk: what is held in memory at once while receiving or reading a file. */
export const CHUNK_BYTES = 1024 * 1024;

/** Refused before anything was stored (bad name, not the caller's ODS code, duplicate, too large). */
export class UploadRefused extends Error {
  constructor(
    readonly error: DomainError,
    readonly refusal: string | null,
  ) {
    super(error.message);
  }
}

/** Watches the bytes go by: UTF-8 validity, the header line, and the number of data rows. */
class ContentProbe {
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });
  private readonly lenient = new TextDecoder('utf-8');
  private readonly parser = new PipeCsvParser();
  validUtf8 = true;
  header: string[] | null = null;
  dataRows = 0;

  push(buf: Buffer) {
    if (this.validUtf8) {
      try {
        this.utf8.decode(buf, { stream: true });
      } catch {
        this.validUtf8 = false;
      }
    }
    this.count(this.parser.push(this.lenient.decode(buf, { stream: true })));
  }

  end() {
    if (this.validUtf8) {
      try {
        this.utf8.decode();
      } catch {
        this.validUtf8 = false;
      }
    }
    this.count(this.parser.push(this.lenient.decode()));
    this.count(this.parser.end());
  }

  private count(records: string[][]) {
    for (const r of records) {
      if (this.header === null) this.header = r;
      else this.dataRows++;
    }
  }

  headersValid(): boolean {
    const h = this.header;
    if (h === null || h.length !== FLAT_FIELDS.length) return false;
    return h.every((v, i) => (i === 0 ? v.replace(/^\uFEFF/, '') : v) === FLAT_FIELDS[i]);
  }
}

/**
 * Takes a file in (upload route or drop folder): the name checks, then the body streamed into
 * batch_chunk a megabyte at a time (never the whole file in memory), then the content checks
 * (headers, empty) → queued or rejected, with the InfAck.
 */
@Injectable()
export class BatchReceiver {
  constructor(
    private readonly db: Database,
    private readonly store: BatchStore,
    private readonly acks: AckWriter,
    private readonly metrics: BatchMetrics,
    private readonly logger: JsonLogger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * `supplier` is the caller (upload) or the owner of the name's ODS code (drop folder, null when
   * no supplier owns it). Throws UploadRefused when nothing could be stored.
   */
  async receive(fileName: string, supplier: Supplier | null, body: Readable, source: 'upload' | 'inbox'): Promise<BatchFileRow> {
    const parsed = parseBatchFileName(fileName);
    if ('error' in parsed) throw new UploadRefused(DomainError.invalid(parsed.error), parsed.error);
    if (supplier === null || !(supplier.odsCodes ?? []).includes(parsed.odsCode)) {
      const who = supplier ? `Supplier ${supplier.name}` : 'No supplier';
      throw new UploadRefused(DomainError.forbidden(`${who} does not send files for ODS code ${parsed.odsCode}.`), Refusal.unauthorised);
    }
    const id = randomUUID();
    const receivedAt = new Date();
    const fresh = await this.store.createReceiving(this.db, {
      id,
      fileName,
      supplier: supplier.name,
      vaccineType: parsed.vaccineType,
      odsCode: parsed.odsCode,
      source,
      at: receivedAt,
    });
    if (!fresh) throw new UploadRefused(DomainError.alreadyExists(`A file named ${fileName} was already received.`), Refusal.duplicate);

    const mayWrite = (['create', 'update', 'delete'] as const).some((op) => supplier.permissions.allows(op, parsed.vaccineType));
    const probe = new ContentProbe();
    let size = 0;
    let chunks = 0;
    try {
      if (!mayWrite) {
        body.resume(); // nothing of it will be used
      } else {
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        const flush = async () => {
          if (pendingBytes === 0) return;
          const data = Buffer.concat(pending, pendingBytes);
          pending = [];
          pendingBytes = 0;
          await this.store.addChunk(this.db, id, chunks++, data);
        };
        for await (const piece of body) {
          const buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as string);
          size += buf.length;
          if (size > this.config.batch.maxFileBytes) {
            throw new UploadRefused(
              DomainError.tooLarge(`The file is larger than the limit of ${this.config.batch.maxFileBytes} bytes.`),
              null,
            );
          }
          probe.push(buf);
          pending.push(buf);
          pendingBytes += buf.length;
          if (pendingBytes >= CHUNK_BYTES) await flush();
        }
        await flush();
        probe.end();
      }
    } catch (e) {
      await this.store.dropReceiving(this.db, id).catch(() => undefined);
      if (e instanceof UploadRefused) throw e;
      throw new UploadRefused(DomainError.invalid('The file could not be read to the end.'), null);
    }
    const refusal = !mayWrite
      ? Refusal.unauthorised
      : !probe.headersValid()
        ? Refusal.headers
        : probe.dataRows === 0
          ? Refusal.empty
          : null;
    const ack = infAck({ fileId: id, receivedAt, mailboxFrom: parsed.odsCode, localId: fileName, refusal });
    await this.store.finishReceiving(this.db, {
      id,
      status: refusal ? 'rejected' : 'queued',
      reason: refusal,
      encoding: probe.validUtf8 ? 'utf-8' : 'windows-1252',
      sizeBytes: size,
      chunks,
      totalRows: refusal ? 0 : probe.dataRows,
      infAck: ack,
      // Embedded PGlite runs one statement at a time: lanes could only queue behind each other
      // (and hold the single session longer, in front of API calls).
      lanes: this.db.isEmbedded ? 1 : this.config.batch.lanes,
    });
    const row = (await this.store.byId(this.db, id))!;
    this.metrics.received(row.status);
    this.logger.info('batch file received', {
      file: fileName,
      supplier: supplier.name,
      status: row.status,
      reason: refusal,
      rows: row.total_rows,
      bytes: size,
    });
    if (source === 'inbox') await this.acks.writeInfAck(row);
    return row;
  }
}
