-- Optimizer settings users copy from tuning guides (two-phase aggregation, split distinct
-- aggregation, mini-batch); the result must not change: distinct users, distinct devices
-- per condition, sums of distinct values, averages.
SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.allow-latency' = '1 s';
SET 'table.exec.mini-batch.size' = '5';
SET 'table.optimizer.agg-phase-strategy' = 'TWO_PHASE';
SET 'table.optimizer.distinct-agg.split.enabled' = 'true';
SET 'table.optimizer.distinct-agg.split.bucket-num' = '4';

CREATE TABLE visits (site STRING, uid INT, dev STRING, ms INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/visits.jsonl', 'format' = 'json');

SELECT site,
       COUNT(DISTINCT uid) AS users,
       COUNT(DISTINCT uid) FILTER (WHERE dev = 'ios') AS ios_users,
       COUNT(DISTINCT dev) AS devs,
       SUM(DISTINCT ms) AS distinct_ms,
       SUM(ms) AS ms,
       COUNT(*) AS visits,
       AVG(ms) AS avg_ms
FROM visits GROUP BY site;
