import { Errors, issue, operationOutcome } from '../fhir/operation-outcome';
import { NHS_NUMBER_SYSTEM } from '../kernel/terminology';

const SOURCE = 'source-patient-identifier';
const TARGET = 'target-patient-identifier';

/**
 * The two NHS numbers of a $merge `Parameters` body (contract §7). Structure problems are 400
 * INVARIANT, each naming the parameter; the numbers' own validity is the command's to check.
 * Parameters is a FHIR resource, so it is read here rather than through a class-validator DTO: every
 * problem is reported at once, each with its FHIRPath expression, which a DTO's first failure is not.
 */
export function mergeNumbers(body: unknown): { from: string; to: string } {
  const b = body as { resourceType?: unknown; parameter?: unknown } | null;
  if (b === null || typeof b !== 'object' || b.resourceType !== 'Parameters') {
    throw Errors.invariant('The body must be a FHIR Parameters resource.', 'Parameters');
  }
  if (!Array.isArray(b.parameter))
    throw Errors.invariant(`Parameters.parameter must list ${SOURCE} and ${TARGET}.`, 'Parameters.parameter');
  const problems: { diagnostics: string; expression: string }[] = [];
  const value = (name: string): string => {
    const where = `Parameters.parameter.where(name='${name}')`;
    const found = (b.parameter as { name?: unknown; valueIdentifier?: { system?: unknown; value?: unknown } }[]).filter(
      (p) => p?.name === name,
    );
    if (found.length !== 1) {
      problems.push({ diagnostics: `${name} must be given exactly once (found ${found.length}).`, expression: where });
      return '';
    }
    const id = found[0].valueIdentifier;
    if (id?.system !== NHS_NUMBER_SYSTEM || typeof id.value !== 'string') {
      problems.push({
        diagnostics: `${name} must be a valueIdentifier with system ${NHS_NUMBER_SYSTEM} and the NHS number as value.`,
        expression: `${where}.valueIdentifier`,
      });
      return '';
    }
    return id.value;
  };
  const from = value(SOURCE);
  const to = value(TARGET);
  if (problems.length) throw Errors.invariants(problems);
  return { from, to };
}

/** The 200 answer: an informational outcome and the number of records moved. */
export function mergeAnswer(from: string, moved: number, recorded: boolean) {
  const text = recorded
    ? `NHS number ${from} is now superseded; ${moved} record(s) moved to the current NHS number.`
    : `NHS number ${from} was already superseded by this merge; ${moved} record(s) moved.`;
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'outcome', resource: operationOutcome([issue('information', 'informational', 'INFORMATIONAL', text)]) },
      { name: 'moved', valueInteger: moved },
    ],
  };
}
