import type { AnalyticsEvent } from './catalog.js';

/**
 * The Kafka message key of an event (contract 4.3): `org_id:conversation_id` when the event has a
 * conversation, else `org_id`. All events of one conversation land on one partition, in order.
 */
export function kafkaKey(event: Pick<AnalyticsEvent, 'org_id' | 'conversation_id'>): string {
  return event.conversation_id === undefined ? event.org_id : `${event.org_id}:${event.conversation_id}`;
}
