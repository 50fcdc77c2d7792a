-- CASE (simple and searched, no ELSE → NULL), COALESCE, NULLIF, IF, IFNULL, IS [NOT]
-- DISTINCT FROM, three-valued AND/OR/NOT, IS TRUE / IS NOT FALSE / IS UNKNOWN, BETWEEN,
-- GREATEST / LEAST with NULL.
CREATE TABLE r (id INT, a INT, b INT, s STRING, flag BOOLEAN)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/r.jsonl', 'format' = 'json');

SELECT id,
  CASE a WHEN 1 THEN 'one' WHEN 0 THEN 'zero' END AS simple_case,
  CASE WHEN a > 0 THEN 'pos' WHEN a < 0 THEN 'neg' ELSE 'other' END AS searched,
  COALESCE(b, a, -1) AS coalesced,
  NULLIF(a, b) AS nullif_ab,
  NULLIF(s, '') AS nullif_s,
  IF(a = b, 'same', 'diff') AS if_eq,
  IFNULL(s, 'none') AS ifnull_s,
  a IS DISTINCT FROM b AS distinct_ab,
  a IS NOT DISTINCT FROM b AS not_distinct_ab,
  a = b AS eq_ab,
  flag AND a > 0 AS and3,
  flag OR a > 0 AS or3,
  NOT flag AS not_flag,
  flag IS TRUE AS is_true,
  flag IS NOT FALSE AS is_not_false,
  flag IS UNKNOWN AS is_unknown,
  a BETWEEN -5 AND 0 AS between_a,
  a NOT BETWEEN SYMMETRIC 1 AND -1 AS not_between_sym,
  GREATEST(a, b, 0) AS greatest_ab,
  LEAST(a, 2) AS least_a
FROM r;
