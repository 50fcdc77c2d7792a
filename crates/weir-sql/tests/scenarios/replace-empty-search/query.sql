-- REPLACE with an empty search string inserts the replacement before every character and at
-- the end (Java's String.replace); an empty replacement deletes; NULL anywhere gives NULL.
CREATE TABLE t (id INT, s STRING, f STRING, r STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (id INT, repl STRING, repl_empty STRING, repl_none STRING, repl_del STRING, repl_cols STRING)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  REPLACE(s, '', '#'),
  REPLACE(s, '', ''),
  REPLACE(s, 'zz', '#'),
  REPLACE(s, 'a', ''),
  REPLACE(s, f, r)
FROM t;
