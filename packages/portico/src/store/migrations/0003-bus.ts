import { type Kysely, sql } from 'kysely';

/**
 * The embedded bus (docs/bus.md, "Embedded adapter"). Messages are stored once per topic with a
 * global sequence (monotonic per topic because publishes of one topic are serialised by an
 * advisory lock, so no reader can skip a sequence that commits late); each group owns a position
 * and one delivery row per message it has taken in, which members claim with
 * `FOR UPDATE SKIP LOCKED`. `bus_dedup` keeps published ids for the dedup window only.
 */
const STATEMENTS = [
  `create table bus_messages (
    sequence bigserial primary key,
    topic text not null,
    id text not null,
    tenant_id text,
    key text,
    envelope jsonb not null,
    bytes integer not null,
    published_at timestamptz not null default now(),
    visible_at timestamptz not null default now()
  )`,
  'create index bus_messages_topic_seq on bus_messages (topic, sequence)',
  'create index bus_messages_topic_id on bus_messages (topic, id)',
  `create table bus_dedup (
    topic text not null,
    id text not null,
    at timestamptz not null default now(),
    primary key (topic, id)
  )`,
  `create table bus_groups (
    topic text not null,
    name text not null,
    position bigint not null,
    settings jsonb not null,
    primary key (topic, name)
  )`,
  `create table bus_deliveries (
    topic text not null,
    grp text not null,
    sequence bigint not null,
    key text,
    attempt integer not null default 0,
    visible_at timestamptz not null,
    token text,
    last_error text,
    primary key (topic, grp, sequence)
  )`,
  'create index bus_deliveries_claim on bus_deliveries (topic, grp, visible_at)',
  'create index bus_deliveries_token on bus_deliveries (token)',
  `create table bus_dead_letters (
    id text primary key,
    topic text not null,
    grp text not null,
    sequence bigint not null,
    envelope jsonb not null,
    attempts integer not null,
    error text not null,
    dead_at timestamptz not null default now()
  )`,
  'create index bus_dead_letters_order on bus_dead_letters (dead_at, id)',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
}
