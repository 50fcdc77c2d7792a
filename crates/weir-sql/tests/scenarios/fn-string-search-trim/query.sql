-- String functions, part 2: TRIM BOTH/LEADING/TRAILING with characters, LTRIM/RTRIM,
-- POSITION, LOCATE (with start), INSTR, LEFT / RIGHT, CHAR_LENGTH of non-ASCII text,
-- SUBSTRING (FROM … FOR …), OVERLAY, REPLACE, CONCAT with a NULL (NULL), CONCAT_WS with
-- NULLs (skipped), ASCII / CHR, || concatenation.
CREATE TABLE t (id INT, s STRING, n INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, tb STRING, tl STRING, tt STRING, lt STRING, rt STRING, pos_o INT, loc INT, loc_from INT,
  ins INT, lft STRING, rgt STRING, len INT, sub STRING, ovl STRING, rep STRING, cat STRING,
  cat_ws STRING, asc_s INT, chr_n STRING, pipes STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  TRIM(BOTH ' ' FROM s),
  TRIM(LEADING 'a' FROM s),
  TRIM(TRAILING '3' FROM s),
  LTRIM(s),
  RTRIM(s),
  POSITION('o' IN s),
  LOCATE('o', s),
  LOCATE('o', s, 6),
  INSTR(s, 'e'),
  LEFT(s, n),
  RIGHT(s, 3),
  CHAR_LENGTH(s),
  SUBSTRING(s FROM 2 FOR 4),
  OVERLAY(s PLACING 'XY' FROM 2 FOR 1),
  REPLACE(s, 'a', 'AA'),
  CONCAT('<', s, '>'),
  CONCAT_WS('/', 'a', s, CAST(NULL AS STRING), 'z'),
  ASCII(s),
  CHR(n + 64),
  'id' || CAST(id AS STRING) || s
FROM t;
