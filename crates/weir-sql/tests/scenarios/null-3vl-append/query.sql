-- Three-valued logic: AND / OR / NOT with NULLs, IS TRUE / IS NOT FALSE / IS UNKNOWN, IN lists
-- with NULL as values, CASE falling to ELSE on UNKNOWN, and a WHERE keeping only TRUE rows.
CREATE TABLE t (id INT, a INT, b BOOLEAN, s STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, gt BOOLEAN, not_gt BOOLEAN, gt_or_b BOOLEAN, gt_and_b BOOLEAN, is_true BOOLEAN,
  not_false BOOLEAN, unk BOOLEAN, in_null BOOLEAN, not_in BOOLEAN, not_in_null BOOLEAN,
  label STRING, s_cmp BOOLEAN, coalesced BOOLEAN
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  a > 5,
  NOT (a > 5),
  a > 5 OR b,
  a > 5 AND b,
  (a > 5) IS TRUE,
  (a > 5) IS NOT FALSE,
  (a > 5 AND b) IS UNKNOWN,
  a IN (1, NULL),
  a NOT IN (1, 2),
  a NOT IN (1, NULL),
  CASE WHEN a > 5 THEN 'big' WHEN a <= 5 THEN 'small' ELSE 'none' END,
  s <> '',
  COALESCE(b, a > 0, FALSE)
FROM t
WHERE (a > 0 OR b) IS NOT FALSE AND id <> 99;
