import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Counter } from 'prom-client';
import { SupplierRegistry } from '../auth/supplier-registry';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { requestScope } from '../database/request-scope';
import { JsonLogger } from '../logging/json-logger';
import { MetricsService } from '../metrics/metrics.service';
import { AUDIT_COLUMNS, AuditRecord, fhirIdOrNull, headerIdOrNull, versionOrNull } from './audit-record';

/** Records kept while the database does not take them; past this the oldest are dropped (and counted). */
const MAX_BUFFERED = 50_000;

/**
 * The audit trail writer. Every request routed to a FHIR interaction or the token endpoint leaves
 * exactly one record when its response ends (or its client goes away: status 499). Records are
 * buffered in memory and written as one multi-row INSERT every AUDIT_FLUSH_MS or AUDIT_BATCH_SIZE
 * records, and on shutdown, so no request waits for the audit write. The price: a crash (SIGKILL,
 * power loss) loses at most the records of the last AUDIT_FLUSH_MS (plus any the database refused
 * while it was down, which are retried until MAX_BUFFERED is reached).
 */
@Injectable()
export class AuditTrail implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private buffer: AuditRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private readonly written: Counter;
  private readonly dropped: Counter;
  private readonly failures: Counter;
  private lastWarn = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: Database,
    private readonly suppliers: SupplierRegistry,
    private readonly logger: JsonLogger,
    metrics: MetricsService,
  ) {
    const registers = [metrics.registry];
    this.written = new Counter({ name: 'audit_records_written_total', help: 'Audit records written to audit_event', registers });
    this.dropped = new Counter({
      name: 'audit_records_dropped_total',
      help: 'Audit records dropped because the buffer was full',
      registers,
    });
    this.failures = new Counter({
      name: 'audit_flush_failures_total',
      help: 'Audit flushes the database refused (records kept and retried)',
      registers,
    });
  }

  onModuleInit() {
    this.timer = setInterval(() => void this.flush(), this.config.auditFlushMs);
    this.timer.unref();
  }

  /** Express middleware: one record per audited request, taken when the response is over. */
  readonly middleware = (req: Request, res: Response, next: NextFunction) => {
    res.once('close', () => {
      if (req.audit) this.add(this.recordOf(req, res));
    });
    next();
  };

  private recordOf(req: Request, res: Response): AuditRecord {
    const target = req.audit!;
    const principal = req.principal;
    const clientId = principal?.clientId ?? req.auditClientId ?? null;
    const supplier = principal?.supplier.name ?? (clientId ? (this.suppliers.byClient(clientId)?.name ?? null) : null);
    let resourceId = target.resourceId;
    if (resourceId === null && target.resourceType !== null) {
      const location = res.getHeader('location');
      const m = typeof location === 'string' ? new RegExp(`/${target.resourceType}/([^/?#]+)`).exec(location) : null;
      resourceId = fhirIdOrNull(m?.[1]);
    }
    const version = target.version ?? (resourceId !== null ? versionOrNull(res.getHeader('e-tag') ?? res.getHeader('etag')) : null);
    return {
      at: new Date(),
      supplier,
      clientId,
      interaction: target.interaction,
      resourceType: target.resourceType,
      resourceId,
      version,
      status: res.writableFinished ? res.statusCode : 499,
      requestId: headerIdOrNull(req.requestId),
      correlationId: headerIdOrNull(req.headers['x-correlation-id']),
    };
  }

  add(record: AuditRecord) {
    this.buffer.push(record);
    if (this.buffer.length > MAX_BUFFERED) {
      const over = this.buffer.length - MAX_BUFFERED;
      this.buffer.splice(0, over);
      this.dropped.inc(over);
    }
    // Outside the request's scope: the INSERT is not the request's statement (nor its wait).
    if (this.buffer.length >= this.config.auditBatchSize) requestScope.exit(() => void this.flush());
  }

  /** Writes everything buffered so far (tests and shutdown await it). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0) return;
    this.flushing = this.writeAll().finally(() => (this.flushing = null));
    await this.flushing;
  }

  private async writeAll() {
    while (this.buffer.length > 0) {
      const batch = this.buffer.slice(0, this.config.auditBatchSize);
      try {
        await this.insert(batch);
      } catch (e) {
        this.failures.inc();
        const now = Date.now();
        if (now - this.lastWarn > 30_000) {
          this.lastWarn = now;
          this.logger.warn('audit: the database refused a batch; kept for the next flush', {
            records: batch.length,
            buffered: this.buffer.length,
            error: (e as Error).message,
          });
        }
        return;
      }
      this.buffer.splice(0, batch.length);
      this.written.inc(batch.length);
    }
  }

  private async insert(batch: AuditRecord[]) {
    const params: unknown[] = [];
    const rows = batch.map((r) => {
      const values = [
        r.at.toISOString(),
        r.supplier,
        r.clientId,
        r.interaction,
        r.resourceType,
        r.resourceId,
        r.version,
        r.status,
        r.requestId,
        r.correlationId,
      ];
      const marks = values.map((v) => {
        params.push(v);
        return `$${params.length}`;
      });
      return `(${marks.join(', ')})`;
    });
    await this.db.query(`INSERT INTO audit_event (${AUDIT_COLUMNS.join(', ')}) VALUES ${rows.join(', ')}`, params);
  }

  /** In-flight requests still finish after this; what they leave is written in onApplicationShutdown if the pool is still open. */
  async beforeApplicationShutdown() {
    await this.flush();
  }

  async onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    try {
      await this.flush();
    } catch {
      // The pool may already be closed; the count of what was lost is logged below.
    }
    if (this.buffer.length > 0) this.logger.warn('audit: records not written at shutdown', { records: this.buffer.length });
  }
}
