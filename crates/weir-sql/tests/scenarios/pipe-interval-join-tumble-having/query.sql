-- Clicks attributed to the impression they follow within 5 s (interval join), then per ad
-- and 10 s tumbling window on the click time: clicks and cost, kept when at least 2 clicks.
-- Clicks exactly 5 s after (imp 2: 10:00:06 vs 10:00:01) count; imp 4's click 6 s after does not.
CREATE TABLE impressions (
  imp INT, ad STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/impressions.jsonl', 'format' = 'json');
CREATE TABLE clicks (
  imp INT, cost INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), ad STRING, clicks BIGINT, cost INT, first_click TIMESTAMP(3)
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE VIEW attributed AS
SELECT i.ad, c.cost, c.ts AS click_ts
FROM impressions AS i, clicks AS c
WHERE i.imp = c.imp AND c.ts BETWEEN i.ts AND i.ts + INTERVAL '5' SECOND;

INSERT INTO `out`
SELECT window_start, window_end, ad, COUNT(*), SUM(cost), MIN(click_ts)
FROM TABLE(TUMBLE(TABLE attributed, DESCRIPTOR(click_ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, ad
HAVING COUNT(*) >= 2;
