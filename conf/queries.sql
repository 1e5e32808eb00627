-- A sample queries file, as a headless deployment would run it.
-- Check it offline with: build/bin/sluiced --check conf/queries.sql
DEFINE orders_topic = 'orders';

CREATE STREAM orders (order_id STRING KEY, user_id STRING, amount DECIMAL(10, 2), ts BIGINT)
  WITH (kafka_topic='${orders_topic}', value_format='JSON', partitions=4, timestamp='ts');

CREATE TABLE users (user_id STRING PRIMARY KEY, name STRING, country STRING)
  WITH (kafka_topic='users', value_format='JSON', partitions=4);

CREATE STREAM big_orders AS
  SELECT order_id, user_id, amount FROM orders WHERE amount > 100 EMIT CHANGES;

CREATE TABLE spend_per_user AS
  SELECT user_id, SUM(amount) AS total, COUNT(*) AS orders
  FROM orders GROUP BY user_id EMIT CHANGES;
