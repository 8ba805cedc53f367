import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { CurrentPrincipal, Principal } from '../../../src/auth/principal';
import { Public } from '../../../src/auth/public.decorator';
import { FHIR_BASE_PATH } from '../../../src/config/app-config';
import { FhirJsonBody } from '../../../src/fhir/fhir-body.decorator';

export const PROBE = `${FHIR_BASE_PATH}/FoundationProbe`;
export const SECRET_IN_ERROR = 'password=hunter2 at /srv/internal/secret-module.ts:42';

/**
 * Test-only FHIR routes (mounted by startTestApp({ controllers })) that exercise the foundation
 * pipeline without depending on the Immunization routes: body reading, content negotiation,
 * the global bearer guard, the exception filter.
 */
@Controller(PROBE)
export class ProbeController {
  /** Protected by the global guard; echoes the JSON body and who sent it. */
  @Post('echo')
  @HttpCode(200)
  echo(@FhirJsonBody() body: unknown, @CurrentPrincipal() p: Principal) {
    return { resourceType: 'Parameters', supplier: p.supplier.name, echo: body };
  }

  @Get('whoami')
  whoami(@CurrentPrincipal() p: Principal) {
    return { resourceType: 'Basic', supplier: p.supplier.name, clientId: p.clientId };
  }

  /** No token needed: lets body tests run without auth in the way. */
  @Public()
  @Post('public-echo')
  @HttpCode(200)
  publicEcho(@FhirJsonBody() body: unknown) {
    return { resourceType: 'Parameters', echo: body };
  }

  /** An unexpected failure whose message must never reach the client. */
  @Public()
  @Get('boom')
  boom(): never {
    throw new Error(SECRET_IN_ERROR);
  }

  /** When the last /slow handler finished (ms since epoch), to order it against a shutdown. */
  static slowFinishedAt = 0;

  @Public()
  @Get('slow')
  async slow() {
    await sleep(400);
    ProbeController.slowFinishedAt = Date.now();
    return { resourceType: 'Basic', finished: true };
  }
}
