-- LIKE with % and _ and an ESCAPE character, NOT LIKE, SIMILAR TO, string comparison
-- (code-point order: 'Z' < 'a' < 'ä'), IN with a NULL in the list, MIN / MAX of strings.
CREATE TABLE t (id INT, s STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  s LIKE 'a%' AS starts_a,
  s LIKE '_b_' AS three_b,
  s LIKE 'a!_c' ESCAPE '!' AS escaped,
  s NOT LIKE '%c' AS not_ends_c,
  s SIMILAR TO '(abc)+' AS similar_abc,
  s < 'a' AS below_a,
  s > 'b' AS above_b,
  s IN ('ab', 'Z', CAST(NULL AS STRING)) AS in_null_list,
  UPPER(s) = 'ABC' AS upper_eq
FROM t;
