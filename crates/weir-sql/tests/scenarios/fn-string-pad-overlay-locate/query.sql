-- Padding and positional edits on ASCII and multi-byte text: LPAD / RPAD shorter than the
-- input (cut), with a multi-character pad, to a negative length; OVERLAY with and without
-- FOR, past the end; LOCATE from a start position; POSITION; INSTR with occurrences.
CREATE TABLE t (id INT, s STRING, n INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  LPAD(s, 5, '日') AS lp,
  RPAD(s, n + 4, 'ab') AS rp,
  LPAD(s, -1, 'x') AS lp_neg,
  OVERLAY(s PLACING '**' FROM 3) AS ov,
  OVERLAY(s PLACING '' FROM 2 FOR 3) AS ov_del,
  OVERLAY(s PLACING '!' FROM 20 FOR 1) AS ov_far,
  LOCATE('b', s, 3) AS loc3,
  LOCATE('', s) AS loc_empty,
  POSITION('語' IN s) AS pos_mb,
  INSTR(s, 'abc', 1, 2) AS instr2,
  INSTR(s, 'l', -2, 1) AS instr_back
FROM t;
