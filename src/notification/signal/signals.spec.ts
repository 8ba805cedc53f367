import { cloudEvent, eventIdOf, fhirSignal, SignalEvent, stableUuid } from './signals';

const e: SignalEvent = {
  subscriptionUrl: 'https://api.example.org/FHIR/R4/Subscription/s1',
  eventNumber: '7',
  focusUrl: 'https://api.example.org/FHIR/R4/Immunization/i1',
  immunizationId: 'i1',
  version: 2,
  operation: 'DELETE',
  supplier: 'EMIS',
  vaccineType: 'FLU',
  nhsNumber: '9912003888',
  sourceOrganisation: 'B0C4P',
  subjectAge: 16,
  recordedAt: new Date('2026-01-02T03:04:05.678Z'),
};

describe('signals', () => {
  it('builds the MNS FHIR signal with the running event-number', () => {
    const s = fhirSignal(e) as any;
    const params = s.entry[0].resource.parameter;
    expect(params.map((p: any) => p.name)).toEqual(['subscription', 'status', 'type', 'notification-event', 'additional-context']);
    expect(params[3].part).toEqual([
      { name: 'event-number', valueString: '7' },
      { name: 'timestamp', valueInstant: '2026-01-02T03:04:05.678Z' },
      { name: 'focus', valueReference: { reference: e.focusUrl } },
    ]);
    expect(s.entry[0].fullUrl).toBe(`urn:uuid:${s.entry[0].resource.id}`);
    // Retries of one event are byte-for-byte the same.
    expect(JSON.stringify(fhirSignal(e))).toBe(JSON.stringify(s));
  });

  it('builds the CloudEvent with filtering attributes', () => {
    expect(cloudEvent(e)).toMatchObject({
      specversion: '1.0',
      subject: '9912003888',
      sequence: '7',
      dataref: e.focusUrl,
      filtering: { action: 'delete', subjectage: '16' },
    });
  });

  it('gives each change one id for every subscriber, and different changes different ids', () => {
    expect(eventIdOf(e)).toBe(eventIdOf({ ...e }));
    expect(eventIdOf(e)).not.toBe(eventIdOf({ ...e, operation: 'UPDATE' }));
    expect(stableUuid('x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
