-- LIKE appends the new table's own columns after the base's, which matters for CSV (fields
-- are positional); EXCLUDING OPTIONS with a complete new WITH clause; INCLUDING GENERATED keeps
-- the base's computed column, EXCLUDING WATERMARKS drops its watermark (so GROUP BY is plain).
CREATE TEMPORARY TABLE base (
  id INT,
  name STRING,
  name_len AS CHAR_LENGTH(name),
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/nowhere.json', 'format' = 'json');

CREATE TABLE IF NOT EXISTS ext (
  score DOUBLE,
  flag BOOLEAN
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/ext.csv',
  'format' = 'csv',
  'csv.field-delimiter' = ';'
) LIKE base (EXCLUDING OPTIONS INCLUDING GENERATED EXCLUDING WATERMARKS);

CREATE TABLE IF NOT EXISTS ext (never_used INT) WITH ('connector' = 'datagen');

CREATE TEMPORARY VIEW IF NOT EXISTS v AS
SELECT name_len, flag, score, ts FROM ext WHERE score IS NOT NULL;

SELECT name_len, flag, COUNT(*) AS n, SUM(score) AS total, MAX(ts) AS last_ts
FROM v
GROUP BY name_len, flag;
