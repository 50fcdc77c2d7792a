-- INSERT with implicit casts to the sink's declared types: INT -> BIGINT (after INT overflow),
-- INT -> DOUBLE, DECIMAL(10, 4) -> DECIMAL(12, 2) (rounded), STRING -> VARCHAR(3) (cut to
-- length), CHAR(n) -> CHAR(5) (cut or padded), TIMESTAMP(6) -> TIMESTAMP(3).
CREATE TABLE src (
  id INT,
  name STRING,
  d DECIMAL(10, 4),
  ts TIMESTAMP(6)
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/src.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  big BIGINT,
  dbl DOUBLE,
  dec2 DECIMAL(12, 2),
  short_name VARCHAR(3),
  padded CHAR(5),
  cut CHAR(5),
  ts3 TIMESTAMP(3),
  name_len INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id * 1000, id, d, name, CAST(name AS CHAR(2)), CAST(name AS CHAR(8)), ts, CHAR_LENGTH(name) FROM src;
