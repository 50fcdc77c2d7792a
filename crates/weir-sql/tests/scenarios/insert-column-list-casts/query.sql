-- INSERT INTO a sink with a column list in another order than the table's (unlisted columns
-- are NULL), with implicit casts to the sink's declared types: INT -> BIGINT, INT -> DOUBLE,
-- DECIMAL(10, 4) -> DECIMAL(12, 2), STRING -> VARCHAR(3), TIMESTAMP(6) -> TIMESTAMP(3).
-- (STRING -> CHAR(5) is refused by Flink: 'Incompatible types for sink column'.)
CREATE TABLE src (
  id INT,
  name STRING,
  d DECIMAL(10, 4),
  ts TIMESTAMP(6)
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/src.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  big BIGINT,
  dbl DOUBLE,
  skipped STRING,
  dec2 DECIMAL(12, 2),
  short_name VARCHAR(3),
  upper_name STRING,
  ts3 TIMESTAMP(3),
  also_skipped INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out` (ts3, upper_name, short_name, dec2, dbl, big)
SELECT ts, UPPER(name), name, d, id, id * 1000 FROM src;
