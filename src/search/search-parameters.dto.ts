import { plainToInstance, Transform } from 'class-transformer';
import { IsInt, IsOptional, Matches, Min, ValidateBy, validateSync } from 'class-validator';

/*
 * The shape of the single-valued search parameters as a class-validator DTO: `_count` a whole number
 * from 0, `_include` the one include this service knows, `-date.from`/`-date.to` real calendar dates.
 *
 * Why not the ValidationPipe here, as for the token form and the batch delta query: a FHIR search
 * answers one 400 naming EVERY parameter that is wrong, in a fixed order, and the parameters need a
 * FHIR parser before any DTO can see them — repeats ("may be given only once"), the query string and
 * the POST form counted together, `system|value` tokens with FHIR escaping, comma-separated "or"
 * lists, vaccine types and target diseases that are only a warning when some are unknown, and
 * combinations (identifier vs patient.identifier). So `parseSearchParameters` stays the parser; it
 * asks this DTO for the type and range of each single value (`searchParameterShape`) and puts the
 * DTO's message in its own list at the place that parameter is reported.
 */

export const INCLUDE_PATIENT = 'Immunization:patient';

const realDate = (text: unknown): boolean => {
  if (typeof text !== 'string') return false;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return false;
  const probe = new Date(Date.UTC(2000, mo - 1, d));
  probe.setUTCFullYear(y);
  return probe.getUTCMonth() === mo - 1 && probe.getUTCDate() === d;
};

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const IsCalendarDate = (name: string) =>
  ValidateBy(
    { name: 'isCalendarDate', validator: { validate: realDate } },
    { message: `Search parameter ${name} must be a real calendar date in the format YYYY-MM-DD.` },
  );
const countMessage = ({ object }: { object: object }) =>
  `Search parameter _count must be a whole number from 0 (at most ${(object as SearchParametersDto).maxCount} are returned per page).`;

export class SearchParametersDto {
  /** The server's page maximum (SEARCH_MAX_COUNT), for the `_count` message; not a parameter. */
  maxCount = 0;

  @IsOptional()
  @Matches(/^Immunization:patient$/i, { message: `Search parameter _include may only be "${INCLUDE_PATIENT}".` })
  @Transform(trim)
  _include?: string;

  @IsOptional()
  @Min(0, { message: countMessage })
  @IsInt({ message: countMessage })
  @Transform(({ value }: { value: unknown }) => {
    const text = typeof value === 'string' ? value.trim() : value;
    return typeof text === 'string' && /^\d{1,15}$/.test(text) ? Number(text) : text;
  })
  _count?: number;

  @IsOptional()
  @IsCalendarDate('-date.from')
  @Transform(trim)
  '-date.from'?: string;

  @IsOptional()
  @IsCalendarDate('-date.to')
  @Transform(trim)
  '-date.to'?: string;
}

/**
 * The single-valued parameters (first value of each, as the parser keeps it) as a typed DTO, and
 * the DTO's message for each one that is wrong, by parameter name.
 */
export function searchParameterShape(
  given: ReadonlyMap<string, string>,
  maxCount: number,
): { dto: SearchParametersDto; problems: Map<string, string> } {
  const plain: Record<string, string> = {};
  for (const name of ['_include', '_count', '-date.from', '-date.to']) {
    const value = given.get(name);
    if (value !== undefined) plain[name] = value;
  }
  const dto = plainToInstance(SearchParametersDto, plain);
  dto.maxCount = maxCount;
  const problems = new Map<string, string>();
  for (const error of validateSync(dto)) {
    const message = Object.values(error.constraints ?? {})[0];
    if (message) problems.set(error.property, message);
  }
  return { dto, problems };
}
