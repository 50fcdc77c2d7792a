-- Cleaning strings: BTRIM with and without a character set, TRANSLATE (shorter target
-- drops characters), STARTSWITH / ENDSWITH against a column (empty prefix, NULL),
-- LTRIM / RTRIM with characters, and CHAR_LENGTH of the results.
CREATE TABLE t (id INT, s STRING, p STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  BTRIM(s) AS bt,
  BTRIM(s, p) AS bt_p,
  CHAR_LENGTH(BTRIM(s, 'x-')) AS bt_len,
  LTRIM(s, p) AS lt_p,
  RTRIM(s, 'x') AS rt_x,
  TRANSLATE(s, 'abc', 'xy') AS tr,
  TRANSLATE(s, 'lo', '01') AS tr2,
  STARTSWITH(s, p) AS sw,
  ENDSWITH(s, p) AS ew,
  STARTSWITH(s, '') AS sw_empty
FROM t;
