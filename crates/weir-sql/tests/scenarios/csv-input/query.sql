-- CSV input: quoted fields with commas, doubled quotes and a line break, empty fields ('' for a
-- STRING), a custom delimiter, null literal and comment lines, and csv.ignore-parse-errors
-- nulling bad or empty numbers and short rows.
CREATE TABLE a (id INT, s STRING, n INT, x DOUBLE, b BOOLEAN, ts TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/a.csv', 'format' = 'csv');

CREATE TABLE b (id INT, s STRING, n INT, x DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/b.csv', 'format' = 'csv',
      'csv.field-delimiter' = ';', 'csv.null-literal' = 'N/A', 'csv.allow-comments' = 'true',
      'csv.ignore-parse-errors' = 'true');

CREATE TABLE c (id INT, s STRING, n INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/c.csv', 'format' = 'csv',
      'csv.ignore-parse-errors' = 'true');

CREATE TABLE `out` (src STRING, id INT, s STRING, s_len INT, n INT, x DOUBLE, b BOOLEAN, ts TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT 'a', id, s, CHAR_LENGTH(s), n, x, b, ts FROM a
UNION ALL
SELECT 'b', id, s, CHAR_LENGTH(s), n, x, CAST(NULL AS BOOLEAN), CAST(NULL AS TIMESTAMP(3)) FROM b
UNION ALL
SELECT 'c', id, s, CHAR_LENGTH(s), n, CAST(NULL AS DOUBLE), CAST(NULL AS BOOLEAN), CAST(NULL AS TIMESTAMP(3)) FROM c;
