-- OVER on an insert-only view (filter + computed columns): RANGE BETWEEN INTERVAL '3' SECOND
-- PRECEDING with rows on the same timestamp (peers see each other) and on the exact 3 s edge,
-- several aggregates over the same window, LAG with an offset and a default.
CREATE TABLE pay (uid STRING, cents INT, kind STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/pay.jsonl', 'format' = 'json');

CREATE VIEW payv AS
SELECT uid, ts, CAST(cents AS DECIMAL(10, 2)) / 100 AS eur, UPPER(kind) AS kind
FROM pay WHERE kind <> 'test';

CREATE TABLE `out` (uid STRING, ts TIMESTAMP(3), eur DECIMAL(20, 6), n BIGINT, total DECIMAL(38, 6),
  mx DECIMAL(20, 6), kinds BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT uid, ts, eur,
  COUNT(*) OVER w, SUM(eur) OVER w, MAX(eur) OVER w, COUNT(DISTINCT kind) OVER w
FROM payv
WINDOW w AS (PARTITION BY uid ORDER BY ts RANGE BETWEEN INTERVAL '3' SECOND PRECEDING AND CURRENT ROW);
