/**
 * The event log as a service: recording an event (outside a transaction: callers that
 * record in their own transaction call ../store/events.ts with it), a page of the history,
 * and the feed's current end (where a live reader starts).
 */
import { Context, Effect, Layer } from "effect";
import { recordEvent, type EventSubject, type EventType } from "../store/events";
import { tryStore, type StoreError } from "../store/database";
import { Store } from "../store/store-service";
import { eventLog, type EventFilter, type EventPage, type EventSlice } from "./event-log";
import { feedEnd, type FeedPosition } from "./feed";

export interface EventLogShape {
  readonly record: (type: EventType, subject: EventSubject, fields: Record<string, unknown>) => Effect.Effect<void, StoreError>;
  readonly page: (filter: EventFilter, page: EventPage) => Effect.Effect<EventSlice, StoreError>;
  readonly end: Effect.Effect<FeedPosition, StoreError>;
}

export class EventLog extends Context.Tag("simgate/EventLog")<EventLog, EventLogShape>() {}

export const EventLogLive: Layer.Layer<EventLog, never, Store> = Layer.effect(
  EventLog,
  Effect.map(Store, (db) => ({
    record: (type, subject, fields) => tryStore(`recording a ${type} event`, () => recordEvent(db, type, subject, fields)),
    page: (filter, page) => tryStore("reading the event log", () => eventLog(db, filter, page)),
    end: tryStore("reading the feed's end", () => feedEnd(db)),
  })),
);
