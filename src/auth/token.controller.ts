import { Controller, Get, Header, HttpCode, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { AuditInteraction } from '../audit/audit.decorator';
import { ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FormBody } from '../fhir/fhir-body.decorator';
import { FhirValidationPipe, FormFieldsPipe } from '../fhir/validation-pipe';
import { Public } from './public.decorator';
import { ServerKeys } from './server-keys';
import { TokenRequestDto } from './token-request.dto';
import { AccessTokenResponse, TokenService } from './token.service';

@ApiTags('Authentication')
@Public()
@Controller()
export class TokenController {
  constructor(
    private readonly tokens: TokenService,
    private readonly keys: ServerKeys,
  ) {}

  @Post('oauth2/token')
  @AuditInteraction('token')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({
    summary: 'Exchange a signed client assertion (RFC 7523) for an access token',
    description:
      'Form fields: grant_type=client_credentials, client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer, client_assertion=<JWT signed RS512/RS256/ES256 with kid; iss=sub=client id; aud=<PUBLIC_BASE_URL>/oauth2/token; unique jti; exp at most 5 minutes ahead>.',
  })
  @ApiOkResponse({ description: '{"access_token": "...", "token_type": "Bearer", "expires_in": 599}' })
  token(
    @FormBody(new FormFieldsPipe(), new FhirValidationPipe()) request: TokenRequestDto,
    @Req() req: Request,
  ): Promise<AccessTokenResponse> {
    return this.tokens.exchange(request, (clientId) => (req.auditClientId = clientId));
  }

  @Get('.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'The public keys that verify this server’s access tokens' })
  jwks() {
    return this.keys.jwks();
  }
}
