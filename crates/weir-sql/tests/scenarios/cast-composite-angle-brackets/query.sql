-- CAST and TRY_CAST to MAP<…>, ARRAY<…> and ROW<…> written in Flink's angle-bracket syntax:
-- a MAP<STRING, INT> to BIGINT and STRING values, an ARRAY<INT> to STRING, BIGINT and DOUBLE
-- elements, an ARRAY<STRING> with a non-number through TRY_CAST, a ROW renamed and widened.
CREATE TABLE t (id INT, m MAP<STRING, INT>, a ARRAY<INT>, sa ARRAY<STRING>, r ROW<p INT, q STRING>)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, m_big MAP<STRING, BIGINT>, m_str MAP<STRING, STRING>, a_str ARRAY<STRING>,
  a_big ARRAY<BIGINT>, a_dbl ARRAY<DOUBLE>, sa_int ARRAY<INT>, r_cast ROW<x BIGINT, y STRING>,
  r_x BIGINT, n INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  CAST(m AS MAP<STRING, BIGINT>),
  CAST(m AS MAP<STRING, STRING>),
  CAST(a AS ARRAY<STRING>),
  CAST(a AS ARRAY<BIGINT>),
  CAST(a AS ARRAY<DOUBLE>),
  TRY_CAST(sa AS ARRAY<INT>),
  CAST(r AS ROW<x BIGINT, y STRING>),
  CAST(r AS ROW<x BIGINT, y STRING>).x,
  CARDINALITY(CAST(a AS ARRAY<STRING>))
FROM t;
