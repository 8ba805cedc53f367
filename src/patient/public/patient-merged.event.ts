/** Published on the EventBus after a merge's transaction commits (a nudge for logs and metrics). */
export class PatientMerged {
  constructor(
    readonly from: string,
    /** The current number the records now carry (the end of any chain). */
    readonly to: string,
    readonly moved: number,
    readonly recordedBy: string,
  ) {}
}
