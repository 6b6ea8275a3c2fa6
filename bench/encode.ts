/**
 * The bench producer's encoder: the same bytes as the producer helper (`toAvroRecord` + avsc + Confluent
 * frame), built faster. The record is one object literal with every schema field in schema order, so every
 * record has the same hidden class and avsc's compiled writer stays monomorphic. Events come from the bench
 * generator, which only makes valid events, so nothing is validated here.
 */
import type { Type } from 'avsc';
import { getEventType } from '../src/contract/avro.js';
import type { AnalyticsEvent, GateCheck } from '../src/contract/catalog.js';
import { kafkaKey } from '../src/contract/key.js';
import { frame } from '../src/contract/wire.js';

interface GateRecord {
  gate: string;
  passed: boolean;
  score: number | null;
  word_count: number | null;
  claims: string[] | null;
  banned_phrases: string[] | null;
}

function gateRecord(g: GateCheck): GateRecord {
  return { gate: g.gate, passed: g.passed, score: g.score ?? null, word_count: g.word_count ?? null, claims: g.claims ?? null, banned_phrases: g.banned_phrases ?? null };
}

/** The Avro record of an event: every field present, absent optional ones as null, in schema order. */
export function benchRecord(e: AnalyticsEvent) {
  return {
    event: e.event,
    event_id: e.event_id,
    org_id: e.org_id,
    workspace_id: e.workspace_id,
    user_id: e.user_id,
    timestamp: e.timestamp,
    channel_type: e.channel_type ?? null,
    app_surface: e.app_surface ?? null,
    result: e.result ?? null,
    error_code: e.error_code ?? null,
    conversation_id: e.conversation_id ?? null,
    message_id: e.message_id ?? null,
    customer_id: e.customer_id ?? null,
    customer_cohort: e.customer_cohort ?? null,
    signal_type: e.signal_type ?? null,
    severity: e.severity ?? null,
    theme_id: e.theme_id ?? null,
    confidence_band: e.confidence_band ?? null,
    triage_result: e.triage_result ?? null,
    reply_mode: e.reply_mode ?? null,
    kb_gap_type: e.kb_gap_type ?? null,
    outcome_type: e.outcome_type ?? null,
    time_to_resolution_ms: e.time_to_resolution_ms ?? null,
    escalation_reason: e.escalation_reason ?? null,
    previous_signal_type: e.previous_signal_type ?? null,
    handoff_target: e.handoff_target ?? null,
    resolution_path: e.resolution_path ?? null,
    response_time_ms: e.response_time_ms ?? null,
    is_first_response: e.is_first_response ?? null,
    attempt: e.attempt ?? null,
    gates: e.gates === undefined ? null : e.gates.map(gateRecord),
    tool_name: e.tool_name ?? null,
    duration_ms: e.duration_ms ?? null,
  };
}

export interface EncodedMessage {
  key: string;
  value: Buffer;
}

export function createBenchEncoder(schemaId: number) {
  const type: Type = getEventType();
  return (e: AnalyticsEvent): EncodedMessage => ({ key: kafkaKey(e), value: frame(schemaId, type.toBuffer(benchRecord(e))) });
}
