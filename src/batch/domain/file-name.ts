import { VaccineType } from '../../kernel/terminology';

export interface BatchFileName {
  vaccineType: string;
  odsCode: string;
  /** The timestamp part, as an instant. */
  timestamp: Date;
}

const NAME = /^([^_]+)_([^_]+)_([^_]+)_([^_]+)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{2})\.csv$/i;

/**
 * `<VACCINE TYPE>_Vaccinations_v5_<ODS CODE>_<YYYYMMDDThhmmss><00|01>.csv`, checked
 * case-insensitively. Returns the parts, or the reason the name is refused.
 */
export function parseBatchFileName(name: string): BatchFileName | { error: string } {
  if (name.length > 200) return { error: 'The file name is longer than 200 characters.' };
  const m = NAME.exec(name);
  const expected = 'expected <VACCINE TYPE>_Vaccinations_v5_<ODS CODE>_<YYYYMMDDThhmmss><00|01>.csv';
  if (!m) return { error: `The file name ${JSON.stringify(name)} is not valid: ${expected}.` };
  const type = m[1].toUpperCase();
  if (!VaccineType.isKnown(type)) return { error: `The file name's vaccine type ${m[1]} is not a known vaccine type.` };
  if (m[2].toLowerCase() !== 'vaccinations') return { error: `The file name's second part must be Vaccinations, not ${m[2]}.` };
  if (m[3].toLowerCase() !== 'v5') return { error: `The file name's version must be v5, not ${m[3]}.` };
  if (!/^[A-Z0-9]{3,10}$/i.test(m[4])) return { error: `The file name's ODS code ${m[4]} is not an ODS code.` };
  const [y, mo, d, h, mi, s, zone] = [m[5], m[6], m[7], m[8], m[9], m[10], m[11]].map(Number);
  if (zone !== 0 && zone !== 1) return { error: `The file name's timestamp zone must be 00 or 01, not ${m[11]}.` };
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - zone * 3600_000;
  const back = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return { error: `The file name's timestamp ${m[5]}${m[6]}${m[7]}T${m[8]}${m[9]}${m[10]} is not a valid date and time.` };
  }
  return { vaccineType: type, odsCode: m[4].toUpperCase(), timestamp: new Date(ms) };
}
