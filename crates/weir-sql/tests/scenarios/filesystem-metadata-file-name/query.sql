-- Filesystem metadata columns: the file name (VIRTUAL) and the file path, beside a computed
-- column; per-file counts over a directory of csv files (an empty file gives no row).
CREATE TABLE t (
  id INT,
  v STRING,
  fname STRING NOT NULL METADATA FROM 'file.name' VIRTUAL,
  `file.path` STRING NOT NULL METADATA VIRTUAL,
  v_up AS UPPER(v)
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/in', 'format' = 'csv');

SELECT fname, COUNT(*) AS n, MAX(v_up) AS mx, MIN(id) AS mn, MAX(POSITION('/in/' IN `file.path`) > 0) AS in_dir
FROM t
GROUP BY fname;
