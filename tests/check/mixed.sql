-- sluiced --check fixture: good statements, a syntax error, a semantic error, variables.
DEFINE topic = 'orders';
CREATE STREAM orders (id STRING KEY, amount DOUBLE) WITH (kafka_topic='${topic}', value_format='JSON');
CREATE STREAM big AS SELECT id, amount FROMM orders;  -- FROMM reads as an alias: 'orders' is the error
CREATE STREAM big AS SELECT id, nope FROM orders;
CREATE STREAM big AS SELECT id, amount * 2 AS doubled FROM orders WHERE amount > 10;
