-- sluiced --check fixture: good and bad statements (syntax, semantic, stateful, unsupported), variables.
DEFINE topic = 'orders';
CREATE STREAM orders (id STRING KEY, amount DOUBLE) WITH (kafka_topic='${topic}', value_format='JSON');
CREATE STREAM big AS SELECT id, amount FROMM orders;  -- FROMM reads as an alias: 'orders' is the error
CREATE STREAM big AS SELECT id, nope FROM orders;
CREATE STREAM big AS SELECT id, amount * 2 AS doubled FROM orders WHERE amount > 10;
CREATE TABLE totals AS SELECT id, SUM(amount) AS total, COUNT(*) AS n FROM orders GROUP BY id;
CREATE TABLE per_minute AS SELECT id, COUNT(*) AS n FROM orders WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY nope;
CREATE STREAM joined AS SELECT o.id, o.amount, t.total FROM orders o JOIN totals t ON o.id = t.id;
PRINT 'orders';
