-- A view over a MATCH_RECOGNIZE (dip then recovery) with CASE / string functions / arithmetic in MEASURES, joined with a dimension table and filtered on a measure
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE prices (item STRING, price DECIMAL(8, 2), rt TIMESTAMP(3),
  WATERMARK FOR rt AS rt - INTERVAL '2' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/prices.jsonl', 'format' = 'json');
CREATE TABLE items (item STRING, title STRING, category STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/items.jsonl', 'format' = 'json');
CREATE TABLE `out` (item STRING, title STRING, label STRING, pct DECIMAL(10, 2), dip_len BIGINT, tag STRING, t_end TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE TEMPORARY VIEW recoveries AS
SELECT * FROM prices MATCH_RECOGNIZE (
  PARTITION BY item ORDER BY rt
  MEASURES
    CASE WHEN UP.price > ST.price THEN 'above' WHEN UP.price = ST.price THEN 'equal' ELSE 'below' END AS label,
    CAST((UP.price - MIN(DIP.price)) * 100 / ST.price AS DECIMAL(10, 2)) AS pct,
    COUNT(DIP.price) AS dip_len,
    UPPER(SUBSTRING(ST.item, 1, 2)) || '-' || CAST(COUNT(DIP.price) AS STRING) AS tag,
    UP.rt AS t_end
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (ST DIP+ UP)
  DEFINE DIP AS DIP.price < ST.price, UP AS UP.price >= ST.price * 0.98
) MR;

INSERT INTO `out`
SELECT r.item, i.title, r.label, r.pct, r.dip_len, r.tag, r.t_end
FROM recoveries r JOIN items i ON r.item = i.item
WHERE r.dip_len >= 1 AND i.category <> 'hidden';
