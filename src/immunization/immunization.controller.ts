import { Controller, Delete, Get, Headers, HttpCode, Inject, Param, Post, Put, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiHeader, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { APP_CONFIG, AppConfig, FHIR_BASE_PATH, fhirBaseUrl } from '../config/app-config';
import { FhirInteraction } from '../fhir/capability/fhir-interaction.decorator';
import { FhirJsonBody } from '../fhir/fhir-body.decorator';
import { bundle, BundleLink, historyEntry } from '../fhir/bundle';
import { sendFhir } from '../fhir/fhir-response';
import { Errors } from '../fhir/operation-outcome';
import { pathId } from '../fhir/path-id';
import { CreateImmunization } from './commands/create-immunization/create-immunization.command';
import { DeleteImmunization } from './commands/delete-immunization/delete-immunization.command';
import { UpdateImmunization } from './commands/update-immunization/update-immunization.command';
import { parseVersionPrecondition } from './domain/version-precondition';
import { FeedCursor } from './infrastructure/event-log.reader';
import { ImmunizationChangeFeed, ImmunizationHistory } from './queries/immunization-history/immunization-history.query';
import { ReadImmunization } from './queries/read-immunization/read-immunization.query';
import type { RecordedVersion } from './queries/recorded-version';

const DEFAULT_FEED_COUNT = 100;
const MAX_FEED_COUNT = 1000;

/** One change as a history entry, its resource sent as stored. */
const changeEntry = (base: string, v: RecordedVersion) =>
  historyEntry(base, {
    type: 'Immunization',
    id: v.id,
    operation: v.operation,
    version: v.version,
    at: v.recordedAt,
    resource: v.resource,
  });

function requestIdOf(req: Request): string | null {
  const v = req.headers['x-request-id'];
  return typeof v === 'string' && v.length > 0 && v.length <= 200 ? v : null;
}

/** Every Immunization write/read interaction on one screen; search lives in the Search module. */
@ApiTags('Immunization')
@Controller(`${FHIR_BASE_PATH}/Immunization`)
export class ImmunizationController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get base() {
    return fhirBaseUrl(this.config);
  }

  @Post()
  @FhirInteraction('createImmunization')
  @ApiOperation({
    summary: 'Record a vaccination event',
    description:
      '201 with Location, ETag and E-Tag. Creating with the identifier of a deleted record reinstates it. A retry with the same X-Request-ID within 24 h returns the first outcome.',
  })
  @ApiBody({ description: 'A FHIR R4 Immunization (application/fhir+json)', schema: { type: 'object' } })
  @ApiHeader({ name: 'X-Request-ID', required: false, description: 'Makes a retried create idempotent (24 h)' })
  @ApiHeader({ name: 'Prefer', required: false, description: 'return=minimal (default) | representation | OperationOutcome' })
  @ApiResponse({ status: 201, description: 'Created' })
  async create(@FhirJsonBody() body: unknown, @CurrentPrincipal() who: Principal, @Req() req: Request, @Res() res: Response) {
    const r = await this.commands.execute(new CreateImmunization(body, who, requestIdOf(req)));
    sendFhir(res, {
      status: 201,
      location: `${this.base}/Immunization/${r.id}`,
      version: r,
      body: r.resource,
      write: { req, message: r.replayed ? 'Already created by an earlier request with this X-Request-ID.' : 'Created.' },
    });
  }

  @Get('_history')
  @FhirInteraction('changeFeedImmunization')
  @ApiOperation({ summary: 'Change feed: every change the caller may read, oldest first, paged with next links' })
  @ApiQuery({ name: '_since', required: false, description: 'Only changes at or after this instant' })
  @ApiQuery({ name: '_count', required: false, description: `Page size (default ${DEFAULT_FEED_COUNT}, at most ${MAX_FEED_COUNT})` })
  async changeFeed(@Req() req: Request, @CurrentPrincipal() who: Principal, @Res() res: Response) {
    const params = new URLSearchParams(req.url.split('?')[1] ?? '');
    const single = (name: string) => {
      const all = params.getAll(name);
      if (all.length > 1) throw Errors.invalid(`${name} may be given only once.`);
      return all[0];
    };
    const sinceRaw = single('_since');
    let since: Date | null = null;
    if (sinceRaw !== undefined) {
      if (
        !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(sinceRaw) ||
        Number.isNaN(Date.parse(sinceRaw))
      ) {
        throw Errors.invalid('_since must be a FHIR instant, e.g. 2026-01-31T12:00:00Z.', '_since');
      }
      since = new Date(sinceRaw);
    }
    const countRaw = single('_count');
    let count = DEFAULT_FEED_COUNT;
    if (countRaw !== undefined) {
      if (!/^\d{1,6}$/.test(countRaw) || Number(countRaw) < 1) throw Errors.invalid('_count must be a positive whole number.', '_count');
      count = Math.min(Number(countRaw), MAX_FEED_COUNT);
    }
    const cursorRaw = single('_cursor');
    let after: FeedCursor | null = null;
    if (cursorRaw !== undefined) {
      const m = /^(\d{1,20})\.(\d{1,19})$/.exec(cursorRaw);
      // txid is an unsigned 64-bit xid8, seq a signed 64-bit bigint: out-of-range digits would be a database error.
      if (!m || BigInt(m[1]) > 0xffffffffffffffffn || BigInt(m[2]) > 0x7fffffffffffffffn) {
        throw Errors.invalid('_cursor is not one this server handed out.', '_cursor');
      }
      after = { txid: m[1], seq: m[2] };
    }
    const page = await this.queries.execute(new ImmunizationChangeFeed(who, since, after, count));
    const url = (cursor: FeedCursor | null) => {
      const p = new URLSearchParams();
      if (sinceRaw !== undefined) p.set('_since', sinceRaw);
      p.set('_count', String(count));
      if (cursor) p.set('_cursor', `${cursor.txid}.${cursor.seq}`);
      return `${this.base}/Immunization/_history?${p.toString()}`;
    };
    const links: BundleLink[] = [{ relation: 'self', url: url(after) }];
    if (page.next) links.push({ relation: 'next', url: url(page.next) });
    sendFhir(res, { body: bundle('history', { links, entries: page.events.map((e) => changeEntry(this.base, e)) }) });
  }

  @Get(':id')
  @FhirInteraction('readImmunization')
  @ApiOperation({ summary: 'Read the current version of a record' })
  @ApiParam({ name: 'id', description: 'Server-assigned id (UUID)' })
  async read(@Param('id') rawId: string, @CurrentPrincipal() who: Principal, @Res() res: Response) {
    const r = await this.queries.execute(new ReadImmunization(pathId(rawId), who));
    sendFhir(res, { version: r, body: r.resource });
  }

  @Get(':id/_history')
  @FhirInteraction('historyImmunization')
  @ApiOperation({ summary: 'Every version of a record, newest first, deletions included' })
  async history(@Param('id') rawId: string, @CurrentPrincipal() who: Principal, @Res() res: Response) {
    const id = pathId(rawId);
    const events = await this.queries.execute(new ImmunizationHistory(id, who));
    const links = [{ relation: 'self', url: `${this.base}/Immunization/${id}/_history` }];
    sendFhir(res, { body: bundle('history', { links, entries: events.map((e) => changeEntry(this.base, e)), total: events.length }) });
  }

  @Get(':id/_history/:vid')
  @FhirInteraction('vreadImmunization')
  @ApiOperation({ summary: 'Read one version of a record' })
  async vread(@Param('id') rawId: string, @Param('vid') vid: string, @CurrentPrincipal() who: Principal, @Res() res: Response) {
    const id = pathId(rawId);
    if (!/^[1-9]\d{0,8}$/.test(vid)) throw Errors.notFound(`Immunization ${id} has no version ${vid.slice(0, 20)}.`);
    const r = await this.queries.execute(new ReadImmunization(id, who, Number(vid)));
    sendFhir(res, { version: r, body: r.resource });
  }

  @Put(':id')
  @FhirInteraction('updateImmunization')
  @ApiOperation({
    summary: 'Correct a record (or reinstate a deleted one)',
    description: 'Needs E-Tag: <version> (mismatch → 400) or If-Match: W/"<version>" (mismatch → 412).',
  })
  @ApiHeader({ name: 'E-Tag', required: false })
  @ApiHeader({ name: 'If-Match', required: false })
  @ApiBody({ description: 'The whole FHIR R4 Immunization, with id equal to the path id', schema: { type: 'object' } })
  async update(
    @Param('id') rawId: string,
    @Headers('e-tag') eTag: string | undefined,
    @Headers('if-match') ifMatch: string | undefined,
    @FhirJsonBody() body: unknown,
    @CurrentPrincipal() who: Principal,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    // docs/validation-rules.md §7: 1. path id, 2. version header, then the body (in the handler).
    pathId(rawId);
    const precondition = parseVersionPrecondition(eTag, ifMatch);
    const r = await this.commands.execute(new UpdateImmunization(rawId, body, precondition, who, requestIdOf(req)));
    sendFhir(res, { version: r, body: r.resource, write: { req, message: 'Updated.' } });
  }

  @Delete(':id')
  @HttpCode(204)
  @FhirInteraction('deleteImmunization')
  @ApiOperation({ summary: 'Delete a record (its history stays readable; an update or a create with its identifier reinstates it)' })
  async delete(@Param('id') rawId: string, @CurrentPrincipal() who: Principal, @Req() req: Request): Promise<void> {
    await this.commands.execute(new DeleteImmunization(pathId(rawId), who, requestIdOf(req)));
  }
}
