CREATE TABLE pay (user_id STRING, amount INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/pay.jsonl', 'format' = 'json');

CREATE TABLE `out` (grp STRING, user_id STRING, amount INT, run_sum INT, n BIGINT, users BIGINT, hi INT, first_user STRING, last_amount INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT grp, user_id, amount,
  SUM(amount) OVER w, COUNT(*) OVER w, COUNT(DISTINCT user_id) OVER w, MAX(amount) OVER w,
  FIRST_VALUE(user_id) OVER w, LAST_VALUE(amount) OVER w
FROM (SELECT *, CASE WHEN user_id < 'c' THEN 'early' ELSE 'late' END AS grp FROM pay)
WINDOW w AS (PARTITION BY grp ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);
