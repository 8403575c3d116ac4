/**
 * The notifier as a service: its loop (fan-out of new events to each user's outbox, and
 * delivery with retries) runs for the layer's life; the panel and the API ask it for a test
 * event, an early retry, and the delivery log.
 */
import { Context, Effect, Layer } from "effect";
import { tryStore, type StoreError } from "../store/database";
import { Store, WakeSignals } from "../store/store-service";
import { deliveryLog, retryNow, runNotifier, sendTestEvent, type Delivery, type NotifierOptions } from "./webhooks";

export interface NotifierShape {
  readonly sendTest: (userId: number) => Effect.Effect<{ id: number; error: string | null }, StoreError>;
  readonly retryNow: (userId: number) => Effect.Effect<{ delivered: number; waiting: number }, StoreError>;
  readonly deliveries: (userId: number, page: { before?: number; limit: number }) => Effect.Effect<Delivery[], StoreError>;
}

export class Notifier extends Context.Tag("simgate/Notifier")<Notifier, NotifierShape>() {}

/** Timings a test may shorten (the retry delays, the POST's timeout). */
export const notifierLayer = (options: Omit<NotifierOptions, "wakeups"> = {}): Layer.Layer<Notifier, never, Store | WakeSignals> =>
  Layer.scoped(
    Notifier,
    Effect.gen(function* () {
      const db = yield* Store;
      const opts = { ...options, wakeups: yield* WakeSignals };
      yield* runNotifier(db, opts);
      return {
        sendTest: (userId) => tryStore("sending a test notification", () => sendTestEvent(db, userId, opts)),
        retryNow: (userId) => tryStore("retrying notifications", () => retryNow(db, userId, opts)),
        deliveries: (userId, page) => tryStore("reading the delivery log", () => deliveryLog(db, userId, page)),
      };
    }),
  );

export const NotifierLive = notifierLayer();
