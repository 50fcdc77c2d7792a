-- Conditional expressions whose branches have different types: GREATEST / LEAST over INT,
-- BIGINT and DOUBLE (a NULL argument), COALESCE / IFNULL / IF / CASE mixing INT with
-- BIGINT, DECIMAL and DOUBLE, made visible by casting the result to STRING; TRY_CAST of text.
CREATE TABLE t (id INT, i INT, b BIGINT, d DECIMAL(5, 2), x DOUBLE, s STRING, f BOOLEAN)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  GREATEST(i, b) AS g_ib,
  LEAST(i, b, 0) AS l_ib0,
  CAST(GREATEST(x, i) AS STRING) AS g_xi,
  CAST(COALESCE(b, i) AS STRING) AS c_bi,
  CAST(COALESCE(d, i, 0) AS STRING) AS c_di,
  CAST(IFNULL(i, b) AS STRING) AS ifn,
  CAST(IF(f, i, d) AS STRING) AS if_id,
  CAST(CASE WHEN f THEN d WHEN NOT f THEN b ELSE 0 END AS STRING) AS case_db,
  CAST(CASE WHEN i > 0 THEN x ELSE i END AS STRING) AS case_xi,
  TRY_CAST(s AS INT) AS tc_int,
  TRY_CAST(s AS DECIMAL(4, 1)) AS tc_dec,
  COALESCE(TRY_CAST(s AS BIGINT), -1) AS tc_def
FROM t;
