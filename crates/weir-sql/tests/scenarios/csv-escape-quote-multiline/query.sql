-- CSV with 'csv.escape-character' = '\' beside the default double-quote quoting: escaped
-- quotes and delimiters inside and outside quotes, a doubled quote, a quoted line break, and
-- an escaped backslash; datagen with 'number-of-rows' counted beside it.
CREATE TABLE t (id INT, s STRING, n INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.csv', 'format' = 'csv',
      'csv.escape-character' = '\');

CREATE TABLE g (x INT, y STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '37',
      'fields.x.min' = '1', 'fields.x.max' = '3', 'fields.y.length' = '4');

CREATE TABLE `out` (id INT, s STRING, len INT, n INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id, s, CHAR_LENGTH(s), n FROM t
UNION ALL
SELECT -1, 'datagen', CAST(CHAR_LENGTH(y) AS INT), CASE WHEN x BETWEEN 1 AND 3 THEN 1 ELSE 0 END FROM g;
