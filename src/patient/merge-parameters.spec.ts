import { FhirError } from '../fhir/operation-outcome';
import { mergeAnswer, mergeNumbers } from './merge-parameters';

const NHS = 'https://fhir.nhs.uk/Id/nhs-number';
const param = (name: string, value: unknown, system = NHS) => ({ name, valueIdentifier: { system, value } });
const body = (...parameter: unknown[]) => ({ resourceType: 'Parameters', parameter });

function problems(b: unknown): string[] {
  try {
    mergeNumbers(b);
  } catch (e) {
    expect(e).toBeInstanceOf(FhirError);
    expect((e as FhirError).status).toBe(400);
    return (e as FhirError).issues.map((i) => `${i.details?.coding[0].code}: ${i.diagnostics}`);
  }
  throw new Error('mergeNumbers did not throw');
}

describe('mergeNumbers ($merge Parameters)', () => {
  it('reads the source and target NHS numbers in any order', () => {
    expect(mergeNumbers(body(param('target-patient-identifier', '9449310475'), param('source-patient-identifier', '9000000009')))).toEqual({
      from: '9000000009',
      to: '9449310475',
    });
  });

  it.each([
    ['not a Parameters', { resourceType: 'Patient' }, /must be a FHIR Parameters/],
    ['no parameter list', { resourceType: 'Parameters' }, /must list source-patient-identifier/],
    [
      'a missing target',
      body(param('source-patient-identifier', '9000000009')),
      /target-patient-identifier must be given exactly once \(found 0\)/,
    ],
    [
      'a repeated source',
      body(
        param('source-patient-identifier', '9000000009'),
        param('source-patient-identifier', '9000000009'),
        param('target-patient-identifier', '9449310475'),
      ),
      /found 2/,
    ],
    [
      'another identifier system',
      body(param('source-patient-identifier', '9000000009', 'https://example.org'), param('target-patient-identifier', '9449310475')),
      /system https:\/\/fhir.nhs.uk\/Id\/nhs-number/,
    ],
    [
      'a number that is not a string',
      body(param('source-patient-identifier', 9000000009), param('target-patient-identifier', '9449310475')),
      /valueIdentifier/,
    ],
  ])('refuses %s with 400 INVARIANT', (_why, b, message) => {
    const p = problems(b);
    expect(p[0]).toMatch(/^INVARIANT: /);
    expect(p.join(' ')).toMatch(message);
  });

  it('reports both parameters at once', () => {
    expect(problems(body())).toHaveLength(2);
  });
});

describe('mergeAnswer', () => {
  it('is a Parameters with an informational outcome and moved', () => {
    const a = mergeAnswer('9000000009', 3, true);
    expect(a.resourceType).toBe('Parameters');
    expect(a.parameter[0]).toMatchObject({
      name: 'outcome',
      resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] },
    });
    expect(a.parameter[1]).toEqual({ name: 'moved', valueInteger: 3 });
  });
});
