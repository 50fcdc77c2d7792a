-- 'csv.null-literal' = '' makes an empty field NULL for every type (STRING included), and a
-- quoted empty field "" too (Flink compares the unquoted text); a semicolon delimiter, comments.
CREATE TABLE t (id INT, s STRING, n INT, b BOOLEAN, d DECIMAL(5, 2), ts TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.csv', 'format' = 'csv',
      'csv.null-literal' = '', 'csv.field-delimiter' = ';', 'csv.allow-comments' = 'true');

CREATE TABLE `out` (id INT, s STRING, s_null BOOLEAN, s_len INT, n INT, b BOOLEAN, d DECIMAL(5, 2), ts TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id, s, s IS NULL, CHAR_LENGTH(s), n, b, d, ts FROM t;
