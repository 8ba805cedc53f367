import { Auth1763700000000 } from './1763700000000-auth';

/** Every migration, oldest first. Add new ones at the end. */
export const MIGRATIONS = [Auth1763700000000];
