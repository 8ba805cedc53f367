import { ArgumentMetadata } from '@nestjs/common';
import { FhirError } from '../fhir/operation-outcome';
import { FhirValidationPipe, FormFieldsPipe } from '../fhir/validation-pipe';
import { CLIENT_ASSERTION_TYPE, TokenRequestDto } from './token-request.dto';

const meta: ArgumentMetadata = { type: 'custom', metatype: TokenRequestDto };
const check = (form: string) => new FhirValidationPipe().transform(new FormFieldsPipe().transform(new URLSearchParams(form)), meta);
const type = `client_assertion_type=${encodeURIComponent(CLIENT_ASSERTION_TYPE)}`;

async function refusal(form: string): Promise<string> {
  try {
    await check(form);
  } catch (e) {
    expect(e).toBeInstanceOf(FhirError);
    expect((e as FhirError).status).toBe(400);
    return (e as FhirError).issues[0].diagnostics as string;
  }
  throw new Error('accepted');
}

describe('TokenRequestDto through FhirValidationPipe', () => {
  it('accepts a well-formed form and gives the DTO', async () => {
    const dto = await check(`grant_type=client_credentials&${type}&client_assertion=a.b.c`);
    expect(dto).toBeInstanceOf(TokenRequestDto);
    expect(dto).toMatchObject({ grant_type: 'client_credentials', client_assertion: 'a.b.c' });
  });

  it.each([
    ['', 'grant_type is required, once.'],
    [`grant_type=password&${type}&client_assertion=a.b.c`, 'grant_type must be client_credentials.'],
    [`grant_type=client_credentials&grant_type=client_credentials&${type}&client_assertion=a.b.c`, 'grant_type is required, once.'],
    ['grant_type=client_credentials&client_assertion=a.b.c', 'client_assertion_type is required, once.'],
    [
      'grant_type=client_credentials&client_assertion_type=urn:x&client_assertion=a.b.c',
      `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}.`,
    ],
    [`grant_type=client_credentials&${type}`, 'client_assertion is required, once.'],
    [`grant_type=client_credentials&${type}&client_assertion=hello`, 'client_assertion is not a JWT.'],
  ])('%p → %p', async (form, message) => {
    expect(await refusal(form)).toBe(message);
  });
});
