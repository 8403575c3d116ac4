/**
 * The job queue as a service: accepting work (an SMS to send, USSD, an AT command, a dial,
 * clearing a SIM), each as its row and its job in one transaction, for whichever host
 * drives the card to run. The workers that run them are ./job-workers.ts.
 */
import { Context, Effect, Layer } from "effect";
import type { StoreError } from "../store/database";
import { Store } from "../store/store-service";
import { enqueueCardWork, type CardWork } from "./card-jobs";
import { enqueueSms } from "./sms-sender";

type SmsRequest = Parameters<typeof enqueueSms>[1];

export interface JobQueueShape {
  /** The sms_out row's id. */
  readonly sendSms: (request: SmsRequest) => Effect.Effect<number, StoreError>;
  /** The record's id (ussd or at_log row; the job's for a dial or a clear). */
  readonly cardWork: (work: CardWork) => Effect.Effect<number, StoreError>;
}

export class JobQueue extends Context.Tag("simgate/JobQueue")<JobQueue, JobQueueShape>() {}

export const JobQueueLive: Layer.Layer<JobQueue, never, Store> = Layer.effect(
  JobQueue,
  Effect.map(Store, (db) => ({
    sendSms: (request) => enqueueSms(db, request),
    cardWork: (work) => enqueueCardWork(db, work),
  })),
);
