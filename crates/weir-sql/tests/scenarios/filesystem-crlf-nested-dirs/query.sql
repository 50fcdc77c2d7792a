-- Files as other tools write them: CSV and JSON lines ending in CRLF (the last field must not keep
-- the '\r'), a CSV file without a final line break, a directory read recursively (nested
-- sub-directories), hidden ('.', '_') files skipped.
CREATE TABLE c (id INT, s STRING, n INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/csv', 'format' = 'csv');

CREATE TABLE c2 (k STRING, s STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/csv2', 'format' = 'csv');

CREATE TABLE j (id INT, s STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/json', 'format' = 'json');

CREATE TABLE `out` (src STRING, id INT, s STRING, len INT, n INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT 'csv', id, s, CHAR_LENGTH(s), n FROM c
UNION ALL
SELECT 'csv2-' || k, CAST(NULL AS INT), s, CHAR_LENGTH(s), CAST(NULL AS INT) FROM c2
UNION ALL
SELECT 'json', id, s, CHAR_LENGTH(s), CAST(NULL AS INT) FROM j;
