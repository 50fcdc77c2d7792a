-- The last two events per user (ROW_NUMBER ORDER BY event time DESC over an insert-only
-- stream, rows out of order), with the rank selected, then counted per rank.
CREATE TABLE ev (uid STRING, action STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ev.jsonl', 'format' = 'json');

CREATE VIEW last2 AS
SELECT uid, action, ts, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY uid ORDER BY ts DESC) AS rn FROM ev)
WHERE rn <= 2;

SELECT 'row' AS q, uid, action, CAST(ts AS STRING) AS ts, rn FROM last2
UNION ALL
SELECT 'per_rank', CAST(rn AS STRING), MAX(action), CAST(COUNT(*) AS STRING), rn FROM last2 GROUP BY rn;
