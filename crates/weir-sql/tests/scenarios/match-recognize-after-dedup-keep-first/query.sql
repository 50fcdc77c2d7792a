-- Duplicated events removed by a keep-first deduplication on rowtime (insert-only, the rowtime attribute survives), then MATCH_RECOGNIZE over the view: an order created, then paid, then shipped within 1 minute, with strings in MEASURES
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE events (event_id STRING, order_id INT, status STRING, amount DECIMAL(8, 2), ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/events.jsonl', 'format' = 'json');
CREATE TABLE `out` (order_id INT, created_at TIMESTAMP(3), paid_amount DECIMAL(8, 2), shipped_at TIMESTAMP(3), n_paid BIGINT, summary STRING)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE TEMPORARY VIEW uniq AS
SELECT event_id, order_id, status, amount, ts FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY ts ASC) AS rn FROM events
) WHERE rn = 1;

INSERT INTO `out`
SELECT * FROM uniq MATCH_RECOGNIZE (
  PARTITION BY order_id ORDER BY ts
  MEASURES C.ts AS created_at, LAST(P.amount) AS paid_amount, S.ts AS shipped_at, COUNT(P.event_id) AS n_paid,
    C.status || '>' || LAST(P.status) || '>' || S.status AS summary
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (C P+? S) WITHIN INTERVAL '1' MINUTE
  DEFINE C AS C.status = 'created', P AS P.status = 'paid', S AS S.status = 'shipped'
) MR;
