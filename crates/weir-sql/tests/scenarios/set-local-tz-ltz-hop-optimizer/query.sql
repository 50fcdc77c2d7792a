-- Session settings at the top of a script: local time zone (São Paulo, UTC-3), source idle
-- timeout, optimizer switches; a TIMESTAMP_LTZ rowtime from epoch millis, 2 h windows
-- sliding by 1 h, window bounds shown in local time and as text.
SET 'table.local-time-zone' = 'America/Sao_Paulo';
SET 'table.exec.source.idle-timeout' = '5 s';
SET 'table.optimizer.reuse-sub-plan-enabled' = 'true';
SET 'table.optimizer.join-reorder-enabled' = 'true';
SET 'table.optimizer.multiple-input-enabled' = 'false';

CREATE TABLE trips (
  car STRING, km INT, ms BIGINT,
  ts AS TO_TIMESTAMP_LTZ(ms, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' HOUR
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/trips.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), wt TIMESTAMP_LTZ(3), label STRING,
  trips BIGINT, km INT, cars BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, window_end, window_time,
       DATE_FORMAT(window_start, 'yyyy-MM-dd HH:mm') || '..' || DATE_FORMAT(window_end, 'HH:mm'),
       COUNT(*), SUM(km), COUNT(DISTINCT car)
FROM TABLE(HOP(TABLE trips, DESCRIPTOR(ts), INTERVAL '1' HOUR, INTERVAL '2' HOUR))
GROUP BY window_start, window_end, window_time;
