-- Keep-last deduplication on event time (latest state per device, an older row does not
-- replace a newer one, an equal time does), and a count per state over it: the count retracts
-- as devices change state.
CREATE TABLE status (
  device STRING, state STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '10' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/status.jsonl', 'format' = 'json');

SELECT state, COUNT(*) AS devices, LISTAGG(device, '+') AS which
FROM (
  SELECT device, state FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY device ORDER BY ts DESC) AS rn FROM status)
  WHERE rn = 1)
GROUP BY state;
