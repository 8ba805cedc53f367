import { Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { APP_CONFIG, AppConfig, FHIR_BASE_PATH, fhirBaseUrl } from '../config/app-config';
import { FhirInteraction, FhirSearchParams, SearchParamDescription } from '../fhir/capability/fhir-interaction.decorator';
import { FormBody } from '../fhir/fhir-body.decorator';
import type { BundleLink } from '../fhir/bundle';
import { sendFhir } from '../fhir/fhir-response';
import { NHS_NUMBER_SYSTEM } from '../kernel/terminology';
import { SearchImmunizationByIdentifier } from './queries/search-by-identifier/search-by-identifier.query';
import { SearchImmunizationsByPatient, SearchPage } from './queries/search-by-patient/search-by-patient.query';
import { searchsetBundle } from './search-bundle';
import type { SearchCursor } from './search-cursor';
import { searchQueryString } from './search-links';
import { P, parseSearchParameters } from './search-parameters';

const SEARCH_PARAMS: SearchParamDescription[] = [
  {
    name: P.patientIdentifier,
    type: 'token',
    documentation: `The patient's NHS number as ${NHS_NUMBER_SYSTEM}|<NHS number> (valid check digit). Required unless identifier is used. Records without an NHS number are never found this way.`,
  },
  {
    name: P.target,
    type: 'token',
    documentation:
      'Vaccine types (config/vaccine-types.json keys, case-sensitive), comma-separated for OR. Unknown ones are ignored with a warning; all unknown → 400. This or target-disease is required with patient.identifier.',
  },
  {
    name: P.targetDisease,
    type: 'token',
    documentation:
      'http://snomed.info/sct|<code> target diseases, comma-separated for OR, each expanded to every vaccine type covering it (measles → MMR, MMRV). Unknown codes are ignored with a warning; all unknown → 400. Not with -immunization.target or identifier.',
  },
  {
    name: P.dateFrom,
    type: 'date',
    documentation:
      'YYYY-MM-DD: only records whose occurrence is on or after this calendar date (the date as written in occurrenceDateTime).',
  },
  {
    name: P.dateTo,
    type: 'date',
    documentation: 'YYYY-MM-DD: only records whose occurrence is on or before this calendar date; not before -date.from.',
  },
  {
    name: P.identifier,
    type: 'token',
    documentation:
      '<system>|<value>: the live record with this supplier identifier (also records without an NHS number). Only with _elements, _include and _count.',
  },
  {
    name: P.elements,
    type: 'special',
    documentation: 'With identifier only: id and/or meta; each entry keeps only those elements (marked SUBSETTED).',
  },
  {
    name: P.include,
    type: 'special',
    documentation: 'Only Immunization:patient (case-insensitive). The Patient entry is included whenever there is a match.',
  },
  {
    name: P.count,
    type: 'number',
    documentation:
      'Page size, from 0; default and maximum SEARCH_MAX_COUNT (1000 unless configured). A next link leads on while more remain.',
  },
  { name: P.cursor, type: 'special', documentation: 'Paging position, opaque: take it from a next link, never build it.' },
];

/**
 * FHIR search on Immunization (docs/api.md §5): GET with a query string, or POST _search with a form
 * body (plus any query string). Both parse the same parameters and go through the QueryBus.
 */
@ApiTags('Immunization')
@Controller(`${FHIR_BASE_PATH}/Immunization`)
export class SearchController {
  constructor(
    private readonly queries: QueryBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get base() {
    return fhirBaseUrl(this.config);
  }

  @Get()
  @FhirInteraction('searchImmunizationGet')
  @FhirSearchParams(SEARCH_PARAMS)
  @ApiOperation({
    summary: "Search a patient's records (or one record by its identifier)",
    description: 'Bundle searchset, newest first, with a Patient include entry and warnings as an OperationOutcome entry.',
  })
  @ApiResponse({ status: 200, description: 'Bundle searchset' })
  @SearchQueryDocs()
  async searchGet(@Req() req: Request, @CurrentPrincipal() who: Principal, @Res() res: Response) {
    await this.search(queryPairs(req), who, res);
  }

  @Post('_search')
  @HttpCode(200)
  @FhirInteraction('searchImmunizationPost')
  @FhirSearchParams(SEARCH_PARAMS)
  @ApiOperation({ summary: 'Search (POST form): the same parameters as GET, in an application/x-www-form-urlencoded body' })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({
    schema: {
      type: 'object',
      properties: Object.fromEntries(
        SEARCH_PARAMS.filter((p) => p.name !== P.cursor).map((p) => [p.name, { type: 'string', description: p.documentation }]),
      ),
    },
  })
  @ApiResponse({ status: 200, description: 'Bundle searchset' })
  async searchPost(@FormBody() form: URLSearchParams, @Req() req: Request, @CurrentPrincipal() who: Principal, @Res() res: Response) {
    // FHIR lets a POST search carry parameters in the URL too; one given in both counts as repeated.
    await this.search([...queryPairs(req), ...form], who, res);
  }

  private async search(pairs: [string, string][], who: Principal, res: Response) {
    const request = parseSearchParameters(pairs, this.config.searchMaxCount);
    const page: SearchPage =
      request.kind === 'identifier'
        ? await this.queries.execute(new SearchImmunizationByIdentifier(request, who))
        : await this.queries.execute(new SearchImmunizationsByPatient(request, who));
    // A later page's self link is the next link that led to it.
    const link = (cursor: SearchCursor | null) =>
      `${this.base}/Immunization?${searchQueryString(page.applied, cursor ? { count: page.count, cursor } : undefined)}`;
    const links: BundleLink[] = [{ relation: 'self', url: link(request.kind === 'patient' ? request.cursor : null) }];
    if (page.next) links.push({ relation: 'next', url: link(page.next) });
    sendFhir(res, {
      body: searchsetBundle({
        base: this.base,
        rows: page.rows,
        total: page.total,
        links,
        warnings: page.warnings,
        elements: request.kind === 'identifier' ? request.elements : null,
        patientEntries: request.kind !== 'identifier',
      }),
    });
  }
}

/** The query string as name/value pairs in the order sent (not Express's parsed object, which merges repeats). */
function queryPairs(req: Request): [string, string][] {
  const i = req.url.indexOf('?');
  return i < 0 ? [] : [...new URLSearchParams(req.url.slice(i + 1))];
}

function SearchQueryDocs(): MethodDecorator {
  const decorators = SEARCH_PARAMS.filter((p) => p.name !== P.cursor).map((p) =>
    ApiQuery({ name: p.name, required: false, description: p.documentation }),
  );
  return (target, key, descriptor) => {
    for (const d of decorators) d(target, key, descriptor);
  };
}
