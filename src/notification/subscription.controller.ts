import { randomUUID } from 'node:crypto';
import { Controller, Delete, Get, Headers, HttpCode, Inject, Param, Post, Put, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiHeader, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { APP_CONFIG, AppConfig, FHIR_BASE_PATH, fhirBaseUrl } from '../config/app-config';
import { FhirInteraction } from '../fhir/capability/fhir-interaction.decorator';
import { FhirJsonBody } from '../fhir/fhir-body.decorator';
import { bundle, searchEntry } from '../fhir/bundle';
import { sendFhir } from '../fhir/fhir-response';
import { Errors } from '../fhir/operation-outcome';
import { pathId } from '../fhir/path-id';
import { CreateSubscription } from './commands/create-subscription/create-subscription.command';
import { DeleteSubscription } from './commands/delete-subscription/delete-subscription.command';
import { UpdateSubscription } from './commands/update-subscription/update-subscription.command';
import { SubscriptionRecord, subscriptionRepresentation as representation } from './domain/subscription-resource';
import { ListSubscriptions } from './queries/list-subscriptions/list-subscriptions.query';
import { ReadSubscription } from './queries/read-subscription/read-subscription.query';

/** Parameters the server always tolerates on a search (format and pretty-printing hints). */
const IGNORED_SEARCH_PARAMS = new Set(['_format', '_pretty']);

/** If-Match: W/"<n>", "<n>" or <n>; absent means no version check. */
function ifMatchVersion(header: string | undefined): number | null {
  if (header === undefined || header.trim() === '') return null;
  const m = /^\s*(?:W\/)?"?([1-9]\d{0,8})"?\s*$/.exec(header);
  if (!m) throw Errors.invariant(`If-Match must name a version, e.g. W/"1" (got "${header.slice(0, 30)}").`);
  return Number(m[1]);
}

const stamp = (s: SubscriptionRecord) => ({ version: s.version, lastUpdated: s.updatedAt });

/**
 * FHIR R4 Subscriptions to the MNS vaccination-record-change signal (docs/api.md §6). A supplier sees
 * and manages only its own subscriptions: anyone else's is 404.
 */
@ApiTags('Subscription')
@Controller(`${FHIR_BASE_PATH}/Subscription`)
export class SubscriptionController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get base() {
    return fhirBaseUrl(this.config);
  }

  @Post()
  @FhirInteraction('createSubscription')
  @ApiOperation({
    summary: 'Subscribe to vaccination-record-change signals',
    description:
      'criteria: eventType=imms-vaccination-record-change-1 plus optional &immunisationtype=, &action=create|update|delete, &sourceorganisation=, ' +
      '&sourceapplication=, &subjectage= / subjectage.lt= / subjectage.gt=. channel.type rest-hook (http(s) endpoint allowed by ' +
      'SUBSCRIPTION_ENDPOINT_ALLOWLIST) or message (nats:<subject>, when NATS_URL is set); channel.payload application/fhir+json (MNS FHIR signal) ' +
      'or application/cloudevents+json; channel.header entries "Name: value" are sent with every delivery.',
  })
  @ApiBody({ description: 'A FHIR R4 Subscription (application/fhir+json)', schema: { type: 'object' } })
  @ApiHeader({ name: 'Prefer', required: false, description: 'return=minimal (default) | representation | OperationOutcome' })
  @ApiResponse({ status: 201, description: 'Created; Location names the new subscription' })
  async create(@FhirJsonBody() body: unknown, @CurrentPrincipal() who: Principal, @Req() req: Request, @Res() res: Response) {
    const row = await this.commands.execute(new CreateSubscription(body, who));
    sendFhir(res, {
      status: 201,
      location: `${this.base}/Subscription/${row.id}`,
      version: stamp(row),
      body: representation(row),
      write: { req, message: 'Created.' },
    });
  }

  @Get()
  @FhirInteraction('searchSubscription')
  @ApiOperation({ summary: "The caller's own subscriptions, as a searchset Bundle" })
  async search(@Req() req: Request, @CurrentPrincipal() who: Principal, @Res() res: Response) {
    for (const name of new URLSearchParams(req.url.split('?')[1] ?? '').keys()) {
      if (!IGNORED_SEARCH_PARAMS.has(name))
        throw Errors.invalid(`Search parameter ${name.slice(0, 40)} is not supported on Subscription.`, name.slice(0, 40));
    }
    const rows = await this.queries.execute(new ListSubscriptions(who));
    const entries = rows.map((row) => searchEntry(`${this.base}/Subscription/${row.id}`, representation(row), 'match'));
    const links = [{ relation: 'self', url: `${this.base}/Subscription` }];
    sendFhir(res, { body: bundle('searchset', { id: randomUUID(), links, entries, total: rows.length }) });
  }

  @Get(':id')
  @FhirInteraction('readSubscription')
  @ApiOperation({ summary: 'Read a subscription, with its current status (error and the reason when deliveries keep failing)' })
  @ApiParam({ name: 'id', description: 'Server-assigned id (UUID)' })
  async read(@Param('id') rawId: string, @CurrentPrincipal() who: Principal, @Res() res: Response) {
    const row = await this.queries.execute(new ReadSubscription(pathId(rawId), who));
    sendFhir(res, { version: stamp(row), body: representation(row) });
  }

  @Put(':id')
  @FhirInteraction('updateSubscription')
  @ApiOperation({ summary: 'Replace a subscription; status active on one in error resumes delivery at the event that failed' })
  @ApiHeader({ name: 'If-Match', required: false, description: 'W/"<version>": refuse (412) if the subscription has changed since' })
  @ApiBody({ description: 'The whole FHIR R4 Subscription, with id equal to the path id', schema: { type: 'object' } })
  async update(
    @Param('id') rawId: string,
    @Headers('if-match') ifMatch: string | undefined,
    @FhirJsonBody() body: unknown,
    @CurrentPrincipal() who: Principal,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const id = pathId(rawId);
    const row = await this.commands.execute(new UpdateSubscription(id, body, ifMatchVersion(ifMatch), who));
    sendFhir(res, { version: stamp(row), body: representation(row), write: { req, message: 'Updated.' } });
  }

  @Delete(':id')
  @HttpCode(204)
  @FhirInteraction('deleteSubscription')
  @ApiOperation({ summary: 'Delete a subscription (no further signals)' })
  async delete(@Param('id') rawId: string, @CurrentPrincipal() who: Principal): Promise<void> {
    await this.commands.execute(new DeleteSubscription(pathId(rawId), who));
  }
}
