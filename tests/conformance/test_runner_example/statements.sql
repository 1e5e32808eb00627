-- An example for sluice-test-runner (the same files ksqlDB's ksql-test-runner takes):
-- a filter and a projection over a JSON stream.
CREATE STREAM orders (ORDERID INT KEY, ITEM STRING, UNITS DOUBLE)
  WITH (kafka_topic='orders', value_format='JSON');

CREATE STREAM big_orders AS
  SELECT ORDERID, UCASE(ITEM) AS ITEM, UNITS * 2 AS DOUBLED_UNITS
  FROM orders
  WHERE UNITS > 2.0
  EMIT CHANGES;
