-- SIMILAR TO: _ (no line break) and % (any string, line breaks too) as wildcards, regex . ^ | * + ? {m,n} [...] ( ),
-- $ and \ literal, an ESCAPE character, NOT SIMILAR TO, and the match anchored to the whole string.
CREATE TABLE t (id INT, s STRING) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
SELECT id,
  s SIMILAR TO 'a.c' AS p_dot,
  s SIMILAR TO 'a\_c' AS p_bs,
  s SIMILAR TO 'a#_c' ESCAPE '#' AS p_esc,
  s SIMILAR TO 'a$' AS p_dollar,
  s SIMILAR TO 'a{2}' AS p_rep,
  s SIMILAR TO 'a{2,}' AS p_rep2,
  s SIMILAR TO '[^a]bc' AS p_neg,
  s SIMILAR TO '[a-b]%' AS p_cls,
  s NOT SIMILAR TO 'a%' AS p_not,
  s SIMILAR TO '%' AS p_all,
  s SIMILAR TO 'x|y' AS p_or,
  s SIMILAR TO 'a+' AS p_plus,
  s SIMILAR TO '(a|b)(b|c)?c' AS p_grp,
  s SIMILAR TO 'a_c' AS p_us,
  s SIMILAR TO 'a\%c' AS p_bspct,
  s SIMILAR TO 'ab_c' AS p_nl
FROM t;
