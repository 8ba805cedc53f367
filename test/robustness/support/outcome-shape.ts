/**
 * The contract's OperationOutcome shape, checked field by field (no schema library): what every
 * error answer must look like. Returns a list of problems, [] when the body is well formed.
 */
const SEVERITIES = new Set(['fatal', 'error', 'warning', 'information']);
const PROFILE = 'https://simplifier.net/guide/UKCoreDevelopment2/ProfileUKCore-OperationOutcome';
const CODE_SYSTEM = 'https://fhir.nhs.uk/Codesystem/http-error-codes';

export function outcomeShapeProblems(body: unknown): string[] {
  const problems: string[] = [];
  const o = body as Record<string, any>;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return ['body is not a JSON object'];
  if (o.resourceType !== 'OperationOutcome') problems.push(`resourceType is ${JSON.stringify(o.resourceType)}`);
  if (typeof o.id !== 'string' || o.id.length === 0) problems.push('id missing');
  if (!Array.isArray(o.meta?.profile) || o.meta.profile[0] !== PROFILE) problems.push('meta.profile missing');
  if (!Array.isArray(o.issue) || o.issue.length === 0) return [...problems, 'issue missing or empty'];
  if (o.issue.length > 101) problems.push(`${o.issue.length} issues (the cap is 100 + 1)`);
  o.issue.forEach((i: any, n: number) => {
    if (!SEVERITIES.has(i?.severity)) problems.push(`issue[${n}].severity ${JSON.stringify(i?.severity)}`);
    if (typeof i?.code !== 'string' || i.code === '') problems.push(`issue[${n}].code missing`);
    const coding = i?.details?.coding?.[0];
    if (coding?.system !== CODE_SYSTEM || typeof coding?.code !== 'string') problems.push(`issue[${n}].details.coding missing`);
    if (typeof i?.diagnostics !== 'string' || i.diagnostics === '') problems.push(`issue[${n}].diagnostics missing`);
    if (/\n\s+at /.test(String(i?.diagnostics))) problems.push(`issue[${n}].diagnostics holds a stack trace`);
  });
  return problems;
}
