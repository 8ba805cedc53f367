import { SetMetadata } from '@nestjs/common';

export const AUDIT_INTERACTION = 'audit:interaction';

/** Audits a route that is not a FHIR interaction (the token endpoint) under this interaction name. */
export const AuditInteraction = (name: string) => SetMetadata(AUDIT_INTERACTION, name);
