-- JSON input with numbers as strings and strings as numbers, booleans as text, nested values
-- for a STRING column, missing fields (NULL), unparseable values and lines skipped by
-- json.ignore-parse-errors, a blank line.
CREATE TABLE a (id INT, n INT, x DOUBLE, b BOOLEAN, s STRING, d DECIMAL(6, 2), ts TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/a.jsonl', 'format' = 'json',
      'json.ignore-parse-errors' = 'true');

CREATE TABLE `out` (src STRING, id INT, n INT, x DOUBLE, b BOOLEAN, s STRING, d DECIMAL(6, 2), ts TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT 'a', id, n, x, b, s, d, ts FROM a;
