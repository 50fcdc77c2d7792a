-- Everyday input warts: a CSV file with a header line read with csv.ignore-parse-errors (the
-- header becomes a row of NULL numbers and text), JSON keys whose case differs from the column
-- (JSON field names are case-sensitive: NULL), a key given twice after all fields were read.
CREATE TABLE c (id INT, name STRING, price DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/c.csv', 'format' = 'csv', 'csv.ignore-parse-errors' = 'true');

CREATE TABLE j (id INT, name STRING, price DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/j.jsonl', 'format' = 'json');

CREATE TABLE `out` (src STRING, id INT, name STRING, price DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT 'csv', id, name, price FROM c
UNION ALL
SELECT 'json', id, name, price FROM j;
