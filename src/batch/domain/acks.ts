import { csvLine } from './csv';

export const INF_ACK_HEADERS = [
  'MESSAGE_HEADER_ID',
  'HEADER_RESPONSE_CODE',
  'ISSUE_SEVERITY',
  'ISSUE_CODE',
  'ISSUE_DETAILS_CODE',
  'RESPONSE_TYPE',
  'RESPONSE_CODE',
  'RESPONSE_DISPLAY',
  'RECEIVED_TIME',
  'MAILBOX_FROM',
  'LOCAL_ID',
  'MESSAGE_DELIVERY',
] as const;
export const BUS_ACK_HEADERS = [...INF_ACK_HEADERS, 'IMMS_ID', 'OPERATION_OUTCOME'] as const;

/** File-level refusal texts (national wording). */
export const Refusal = {
  headers: 'File headers are invalid.',
  unauthorised: 'Not processed - Unauthorised',
  empty: 'Not processed - Empty file',
  duplicate: 'Not processed - Duplicate',
};

/** The InfAck: one data row saying whether the file was accepted. */
export function infAck(a: { fileId: string; receivedAt: Date; mailboxFrom: string; localId: string; refusal: string | null }): string {
  const ok = a.refusal === null;
  const row = ok
    ? [a.fileId, 'Success', 'Information', 'OK', '20013', 'Technical', '20013', 'Success']
    : [
        a.fileId,
        'Failure',
        'Fatal',
        'Fatal Error',
        '10001',
        'Technical',
        '10002',
        `Infrastructure Level Response Value - Processing Error: ${a.refusal}`,
      ];
  row.push(a.receivedAt.toISOString(), a.mailboxFrom, a.localId, ok ? 'True' : 'False');
  return csvLine(INF_ACK_HEADERS) + csvLine(row);
}

export interface FailedRow {
  rowNumber: number;
  localId: string;
  immsId: string | null;
  diagnostics: string;
}

export const busAckHeader = () => csvLine(BUS_ACK_HEADERS);

/** One BusAck line for a failed row. */
export function busAckLine(f: FailedRow, file: { fileId: string; receivedAt: Date; mailboxFrom: string }): string {
  return csvLine([
    `${file.fileId}^${f.rowNumber}`,
    'Fatal Error',
    'Fatal',
    'Fatal Error',
    '30002',
    'Business',
    '30002',
    'Business Level Response Value - Processing Error',
    file.receivedAt.toISOString(),
    file.mailboxFrom,
    f.localId,
    'True',
    f.immsId ?? '',
    f.diagnostics,
  ]);
}
