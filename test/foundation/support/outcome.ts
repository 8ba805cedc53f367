import type { Response } from 'supertest';
import { HTTP_ERROR_CODE_SYSTEM, OPERATION_OUTCOME_PROFILE } from '../../../src/fhir/operation-outcome';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Asserts the docs/api.md §3 error shape: the status, application/fhir+json, an OperationOutcome with
 * an id, the UK Core profile and a first issue with the given code and NHS details code.
 * Returns the parsed body.
 */
export function expectOutcome(res: Pick<Response, 'status' | 'headers' | 'text'>, status: number, code: string, detailsCode: string) {
  expect({ status: res.status, text: res.text.slice(0, 300) }).toMatchObject({ status });
  expect(res.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
  const body = JSON.parse(res.text);
  expect(body.resourceType).toBe('OperationOutcome');
  expect(body.id).toMatch(UUID);
  expect(body.meta).toEqual({ profile: [OPERATION_OUTCOME_PROFILE] });
  expect(body.issue.length).toBeGreaterThan(0);
  expect(body.issue[0]).toMatchObject({
    severity: 'error',
    code,
    details: { coding: [{ system: HTTP_ERROR_CODE_SYSTEM, code: detailsCode }] },
  });
  expect(typeof body.issue[0].diagnostics).toBe('string');
  return body as { issue: { diagnostics: string; code: string }[] };
}
