-- Per 10 s window: distinct users, buys, distinct buyers, positive amount sum; windows with
-- fewer than two events are dropped by HAVING. Late rows (after the window fired) are dropped.
CREATE TABLE events (
  user_id STRING, kind STRING, amount INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/events.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), users BIGINT, events BIGINT, buys BIGINT,
  buyers BIGINT, pos_sum INT, max_amount INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, window_end,
  COUNT(DISTINCT user_id) AS users,
  COUNT(*) AS events,
  COUNT(*) FILTER (WHERE kind = 'buy') AS buys,
  COUNT(DISTINCT user_id) FILTER (WHERE kind = 'buy') AS buyers,
  SUM(amount) FILTER (WHERE amount > 0) AS pos_sum,
  MAX(amount) AS max_amount
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end
HAVING COUNT(*) > 1;
