import { Query } from '@nestjs/cqrs';
import type { Principal } from '../../../auth/principal';
import type { FeedCursor } from '../../infrastructure/event-log.reader';
import type { RecordedVersion } from '../recorded-version';

/** GET /Immunization/{id}/_history: every change of one record, newest first, deletions included. */
export class ImmunizationHistory extends Query<RecordedVersion[]> {
  constructor(
    readonly id: string,
    readonly principal: Principal,
  ) {
    super();
  }
}

export interface ChangeFeedPage {
  events: RecordedVersion[];
  /** Where the next page starts, when there may be more. */
  next: FeedCursor | null;
}

/** GET /Immunization/_history: every change the caller may read, oldest first, paged. */
export class ImmunizationChangeFeed extends Query<ChangeFeedPage> {
  constructor(
    readonly principal: Principal,
    readonly since: Date | null,
    readonly after: FeedCursor | null,
    readonly count: number,
  ) {
    super();
  }
}
