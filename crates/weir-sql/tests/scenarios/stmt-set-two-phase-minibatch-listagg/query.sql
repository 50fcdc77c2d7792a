-- SET two-phase aggregation with mini-batches (size 2) over a regular GROUP BY: LISTAGG, COUNT DISTINCT, MAX and AVG per key must come out as without the options; keys with one row and NULL values
SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.allow-latency' = '100 ms';
SET 'table.exec.mini-batch.size' = '2';
SET 'table.optimizer.agg-phase-strategy' = 'TWO_PHASE';
CREATE TABLE visits (site STRING, usr STRING, secs INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/visits.jsonl', 'format' = 'json');

SELECT site, LISTAGG(usr, ',') AS users, COUNT(DISTINCT usr) AS uniq, MAX(secs) AS longest, AVG(secs) AS avg_secs, COUNT(*) AS n
FROM visits GROUP BY site;
