SET 'table.local-time-zone' = 'Europe/Berlin';

CREATE TABLE t (
  id INT,
  ms BIGINT,
  `local` STRING,
  ltz AS TO_TIMESTAMP_LTZ(ms, 3),
  wall AS CAST(TO_TIMESTAMP_LTZ(ms, 3) AS TIMESTAMP(3))
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/rows.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, ltz TIMESTAMP_LTZ(3), wall TIMESTAMP(3), shown STRING, h BIGINT, d BIGINT,
  from_local TIMESTAMP_LTZ(3), back TIMESTAMP(3), day_of DATE, epoch BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id, ltz, wall, DATE_FORMAT(ltz, 'yyyy-MM-dd HH:mm:ss.SSS') AS shown, HOUR(ltz) AS h, EXTRACT(DAY FROM ltz) AS d,
  CAST(TO_TIMESTAMP(`local`) AS TIMESTAMP_LTZ(3)) AS from_local,
  CAST(CAST(TO_TIMESTAMP(`local`) AS TIMESTAMP_LTZ(3)) AS TIMESTAMP(3)) AS back,
  CAST(ltz AS DATE) AS day_of,
  UNIX_TIMESTAMP(`local`) AS epoch
FROM t;
