CREATE TABLE logs (svc STRING, status STRING, ms INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/logs.jsonl', 'format' = 'json');

SELECT svc, COUNT(*) AS n,
  COUNT(*) FILTER (WHERE status = 'err') AS errs,
  SUM(ms) FILTER (WHERE status = 'ok') AS ok_ms,
  AVG(ms) AS avg_ms
FROM logs
GROUP BY svc
HAVING COUNT(*) FILTER (WHERE status = 'err') * 2 >= COUNT(*) OR SUM(ms) < 0;
