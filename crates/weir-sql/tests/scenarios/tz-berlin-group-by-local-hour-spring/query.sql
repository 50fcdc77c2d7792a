-- Europe/Berlin, 2024-03-31 spring-forward (02:00 CET -> 03:00 CEST at 01:00 UTC): an unbounded
-- GROUP BY the local hour of a TIMESTAMP_LTZ (DATE_FORMAT 'yyyy-MM-dd HH') and by the local
-- date (CAST to DATE) — the hour 02 never appears; a TIMESTAMP_LTZ made from a TIMESTAMP column
-- by CAST in the session zone; MIN/MAX of the instant cast back to TIMESTAMP.
SET 'table.local-time-zone' = 'Europe/Berlin';

CREATE TABLE logins (uid STRING, ms BIGINT, wall TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/logins.jsonl', 'format' = 'json');

CREATE VIEW l AS
SELECT uid, TO_TIMESTAMP_LTZ(ms, 3) AS at_ms, CAST(wall AS TIMESTAMP_LTZ(3)) AS at_wall FROM logins;

SELECT DATE_FORMAT(at_ms, 'yyyy-MM-dd HH') AS local_hour, CAST(at_ms AS DATE) AS local_day,
  COUNT(*) AS n, COUNT(DISTINCT uid) AS users,
  CAST(MIN(at_ms) AS TIMESTAMP(3)) AS first_local, CAST(MAX(at_wall) AS TIMESTAMP(3)) AS max_wall,
  SUM(CASE WHEN at_ms = at_wall THEN 1 ELSE 0 END) AS same_instant
FROM l
GROUP BY DATE_FORMAT(at_ms, 'yyyy-MM-dd HH'), CAST(at_ms AS DATE);
