import { Auth1763700000000 } from './1763700000000-auth';
import { Immunization1763700100000 } from './1763700100000-immunization';
import { Search1763700200000 } from './1763700200000-search';
import { Notification1763700300000 } from './1763700300000-notification';
import { Audit1763700500000 } from './1763700500000-audit';
import { Patient1763700600000 } from './1763700600000-patient';
import { Batch1763700700000 } from './1763700700000-batch';

/** Every migration, oldest first. Add new ones at the end. */
export const MIGRATIONS = [
  Auth1763700000000,
  Immunization1763700100000,
  Search1763700200000,
  Notification1763700300000,
  Audit1763700500000,
  Patient1763700600000,
  Batch1763700700000,
];
