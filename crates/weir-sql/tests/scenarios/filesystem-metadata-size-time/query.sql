-- Filesystem metadata columns: every key Flink's filesystem source has (file.path, file.name,
-- file.size, file.modification-time), file.size declared INT rather than BIGINT.
CREATE TABLE t (
  id INT,
  p STRING NOT NULL METADATA FROM 'file.path' VIRTUAL,
  m TIMESTAMP_LTZ(3) METADATA FROM 'file.modification-time' VIRTUAL,
  v STRING,
  n STRING METADATA FROM 'file.name' VIRTUAL,
  `file.size` INT METADATA VIRTUAL
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/in', 'format' = 'csv');

SELECT id, POSITION(CONCAT('/in/', n) IN p) > 0 AS path_ends_in_name, `file.size`,
  m > TO_TIMESTAMP_LTZ(1577836800000, 3) AS recent, v, n
FROM t;
