import { Equals, IsNotEmpty, IsString, Matches } from 'class-validator';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The client-credentials form of POST /oauth2/token (RFC 7523), checked by FhirValidationPipe. */
export class TokenRequestDto {
  @IsNotEmpty({ message: 'grant_type is required, once.' })
  @Equals('client_credentials', { message: 'grant_type must be client_credentials.' })
  grant_type!: string;

  @IsNotEmpty({ message: 'client_assertion_type is required, once.' })
  @Equals(CLIENT_ASSERTION_TYPE, { message: `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}.` })
  client_assertion_type!: string;

  @IsNotEmpty({ message: 'client_assertion is required, once.' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/, { message: 'client_assertion is not a JWT.' })
  client_assertion!: string;
}
