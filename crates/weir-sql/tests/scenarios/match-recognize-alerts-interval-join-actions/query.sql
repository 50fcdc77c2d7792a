-- Alerts from MATCH_RECOGNIZE (three readings above a threshold in a row, exact A{3}, SKIP PAST LAST ROW) carry MATCH_ROWTIME() as a rowtime into an interval join with an operator-actions stream (an action 0-10 s after the alert) (inner), reaction time with TIMESTAMPDIFF
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE readings (machine STRING, temp INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/readings.jsonl', 'format' = 'json');
CREATE TABLE actions (machine STRING, who STRING, at_ts TIMESTAMP(3),
  WATERMARK FOR at_ts AS at_ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/actions.jsonl', 'format' = 'json');
CREATE TABLE `out` (machine STRING, alert_t TIMESTAMP(3), peak INT, who STRING, reaction_s INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE TEMPORARY VIEW alerts AS
SELECT * FROM readings MATCH_RECOGNIZE (
  PARTITION BY machine ORDER BY ts
  MEASURES MAX(H.temp) AS peak, MATCH_ROWTIME() AS alert_t
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (H{3})
  DEFINE H AS H.temp > 90
) MR;

INSERT INTO `out`
SELECT a.machine, a.alert_t, a.peak, x.who, TIMESTAMPDIFF(SECOND, a.alert_t, x.at_ts) AS reaction_s
FROM alerts a JOIN actions x
  ON a.machine = x.machine AND x.at_ts BETWEEN a.alert_t AND a.alert_t + INTERVAL '10' SECOND;
