-- String functions, part 1: REGEXP_REPLACE (back-references), REGEXP_EXTRACT with groups
-- (no match → NULL), REGEXP, INITCAP, LPAD / RPAD (truncating, negative length → NULL),
-- REPEAT (negative count → ''), REVERSE, SPLIT_INDEX (out of range → NULL), UPPER / LOWER
-- of non-ASCII text.
CREATE TABLE t (id INT, s STRING, n INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, rr STRING, rr_ref STRING, rx0 STRING, rx1 STRING, rx2 STRING, rmatch BOOLEAN,
  initcap_s STRING, lpad_s STRING, rpad_s STRING, lpad_n STRING, rep STRING, rev STRING,
  split1 STRING, split_far STRING, up STRING, low STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  REGEXP_REPLACE(s, '[0-9]+', '#'),
  REGEXP_REPLACE(s, '([a-z])([0-9])', '$2$1'),
  REGEXP_EXTRACT(s, '([a-z]+)([0-9]*)', 0),
  REGEXP_EXTRACT(s, '([a-z]+)([0-9]+)', 1),
  REGEXP_EXTRACT(s, '([a-z]+)([0-9]+)', 2),
  REGEXP(s, '^[a-z0-9]+$'),
  INITCAP(s),
  LPAD(s, 8, '*-'),
  RPAD(s, 4, '.'),
  LPAD('ab', n, 'xy'),
  REPEAT(s, n),
  REVERSE(s),
  SPLIT_INDEX(s, ' ', 1),
  SPLIT_INDEX(s, ' ', 5),
  UPPER(s),
  LOWER(s)
FROM t;
