-- A sample queries file, as a headless deployment runs it (ksqlDB's ksql.queries.file):
--   build/bin/sluiced --queries-file conf/queries.sql
-- The statements run at start-up; the REST API then refuses statements (interactive use is
-- off) and serves pull and push queries. Check the file offline with:
--   build/bin/sluiced --check conf/queries.sql
DEFINE payments_topic = 'payments';

-- New queries read their topics from the beginning (the default is the end, as in ksqlDB).
SET 'auto.offset.reset' = 'earliest';

CREATE STREAM payments (id STRING KEY, user_id STRING, amount DECIMAL(10, 2))
  WITH (kafka_topic='${payments_topic}', value_format='JSON', partitions=4);

-- The running balance per user.
CREATE TABLE balances AS
  SELECT user_id, SUM(amount) AS balance, COUNT(*) AS payments
  FROM payments GROUP BY user_id EMIT CHANGES;

CREATE STREAM large_payments AS
  SELECT id, user_id, amount FROM payments WHERE amount > 100 EMIT CHANGES;
