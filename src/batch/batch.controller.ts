import { Controller, Get, HttpCode, Inject, Param, Put, Query, Req, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiConsumes, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { Errors } from '../fhir/operation-outcome';
import { ExportChanges } from '../immunization/public';
import { FhirValidationPipe } from '../fhir/validation-pipe';
import { DeltaQueryDto, parseDeltaCursor } from './delta-query.dto';
import { csvLine } from './domain/csv';
import { fhirToFlat } from './domain/fhir-to-flat';
import { FLAT_FIELDS } from './domain/flat-record';
import { statusDocument, summaryDocument } from './domain/status';
import { BatchFileRow, BatchStore } from './infrastructure/batch.store';
import { AckWriter } from './ingest/ack-writer';
import { BatchProcessor } from './ingest/batch-processor';
import { BatchReceiver, UploadRefused } from './ingest/batch-receiver';
import { BATCH_BASE_PATH } from './streamed-body';

export const DELTA_EXTRA_FIELDS = ['OPERATION', 'IMMS_ID', 'SUPPLIER_SYSTEM', 'VACCINE_TYPE', 'DATE_TIME_STAMP'] as const;
const DELTA_DEFAULT_COUNT = 1000;
const CSV = 'text/csv; charset=utf-8';
const ACCEPTED_TYPES = ['text/csv', 'text/plain', 'application/octet-stream'];

@ApiTags('Batch')
@Controller(BATCH_BASE_PATH)
export class BatchController {
  constructor(
    private readonly receiver: BatchReceiver,
    private readonly processor: BatchProcessor,
    private readonly store: BatchStore,
    private readonly acks: AckWriter,
    private readonly db: Database,
    private readonly queries: QueryBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Put('files/:fileName')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send a batch file',
    description: 'The body is the `|`-delimited CSV file (docs/batch.md). 202 with the status document; Location names it.',
  })
  @ApiConsumes('text/csv')
  @ApiParam({ name: 'fileName', description: '<VACCINE TYPE>_Vaccinations_v5_<ODS CODE>_<YYYYMMDDThhmmss><00|01>.csv' })
  @ApiResponse({ status: 202, description: 'Received: queued, or rejected at the file checks (see reason and the InfAck)' })
  async upload(@Param('fileName') fileName: string, @CurrentPrincipal() who: Principal, @Req() req: Request, @Res() res: Response) {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== '' && !ACCEPTED_TYPES.includes(type)) {
      req.resume();
      throw Errors.unsupportedMediaType(`Content-Type ${type} is not supported for a batch file: send text/csv.`);
    }
    let file: BatchFileRow;
    try {
      file = await this.receiver.receive(fileName, who.supplier, req, 'upload');
    } catch (e) {
      if (!req.complete) req.resume();
      if (e instanceof UploadRefused) throw e.error;
      throw e;
    }
    this.processor.nudge();
    res.setHeader('Location', `${this.config.publicBaseUrl}${BATCH_BASE_PATH}/files/${encodeURIComponent(file.file_name)}`);
    res.status(202).json(statusDocument(file));
  }

  /** The caller's own file, else 404 (another supplier's file is not shown to exist). */
  private async ownFile(fileName: string, who: Principal): Promise<BatchFileRow> {
    const file = await this.store.byName(this.db, fileName);
    if (!file || file.supplier !== who.supplier.name || file.status === 'receiving')
      throw Errors.notFound(`There is no batch file ${fileName} of supplier ${who.supplier.name}.`);
    return file;
  }

  @Get('files/:fileName')
  @ApiOperation({ summary: "A batch file's status document" })
  async status(@Param('fileName') fileName: string, @CurrentPrincipal() who: Principal, @Res() res: Response) {
    res.status(200).json(statusDocument(await this.ownFile(fileName, who)));
  }

  @Get('files/:fileName/inf-ack')
  @ApiOperation({ summary: "A batch file's InfAck (file-level acknowledgement)" })
  async infAck(@Param('fileName') fileName: string, @CurrentPrincipal() who: Principal, @Res() res: Response) {
    const file = await this.ownFile(fileName, who);
    if (file.inf_ack === null) throw Errors.notFound(`The InfAck of ${fileName} is not written yet.`);
    res.status(200).type(CSV).send(file.inf_ack);
  }

  @Get('files/:fileName/bus-ack')
  @ApiOperation({ summary: "A processed batch file's BusAck: one line per failed row" })
  async busAck(@Param('fileName') fileName: string, @CurrentPrincipal() who: Principal, @Res() res: Response) {
    const file = await this.ownFile(fileName, who);
    if (file.status !== 'processed')
      throw Errors.notFound(`The BusAck of ${fileName} is not written yet (status ${statusDocument(file).status}).`);
    res.status(200).type(CSV);
    for await (const piece of this.acks.busAck(file)) res.write(piece);
    res.end();
  }

  @Get('files/:fileName/summary')
  @ApiOperation({ summary: "A processed batch file's JSON summary (rows, successes, failures)" })
  async summary(@Param('fileName') fileName: string, @CurrentPrincipal() who: Principal, @Res() res: Response) {
    const file = await this.ownFile(fileName, who);
    if (file.status !== 'processed')
      throw Errors.notFound(`The summary of ${fileName} is not written yet (status ${statusDocument(file).status}).`);
    res.status(200).json(summaryDocument(file));
  }

  @Get('delta')
  @ApiOperation({ summary: 'Flat records of every change since an instant, oldest first (role delta-reader)' })
  @ApiQuery({ name: '_since', required: false, description: 'An instant (ISO 8601 with a zone)' })
  @ApiQuery({ name: '_count', required: false })
  async delta(@Query(new FhirValidationPipe()) q: DeltaQueryDto, @CurrentPrincipal() who: Principal, @Res() res: Response) {
    if (!(who.supplier.roles ?? []).includes('delta-reader'))
      throw Errors.forbidden(`Supplier ${who.supplier.name} does not have the delta-reader role.`);
    const sinceText = q._since;
    const since = sinceText === undefined ? null : new Date(sinceText);
    const count = Math.min(q._count ?? DELTA_DEFAULT_COUNT, this.config.batch.deltaMaxCount);
    const after = q._cursor === undefined ? null : parseDeltaCursor(q._cursor);
    const page = await this.queries.execute(new ExportChanges(since, after, count));
    if (page.next) {
      const params = new URLSearchParams();
      if (sinceText !== undefined) params.set('_since', sinceText);
      params.set('_count', String(count));
      params.set('_cursor', `${page.next.txid}.${page.next.seq}`);
      res.setHeader('Link', `<${this.config.publicBaseUrl}${BATCH_BASE_PATH}/delta?${params}>; rel="next"`);
    }
    let body = csvLine([...FLAT_FIELDS, ...DELTA_EXTRA_FIELDS]);
    for (const c of page.changes) {
      const { record } = fhirToFlat(c.resource, c.operation);
      body += csvLine([...FLAT_FIELDS.map((f) => record[f]), c.operation, c.id, c.supplier, c.vaccineType, c.recordedAt.toISOString()]);
    }
    res.status(200).type(CSV).send(body);
  }
}
