/**
 * How long each kind of record is kept, in days (0: for ever). The configuration file sets it;
 * an admin may override it from the panel (src/store/retention.ts keeps the override).
 */
export interface Retention {
  readonly smsDays: number;
  readonly ussdDays: number;
  readonly callsDays: number;
  readonly atLogDays: number;
  readonly eventsDays: number;
}

export const DEFAULT_RETENTION: Retention = { smsDays: 0, ussdDays: 0, callsDays: 0, atLogDays: 30, eventsDays: 90 };
