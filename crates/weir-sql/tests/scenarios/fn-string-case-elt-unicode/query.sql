-- Everyday string shaping on accented, emoji and punctuated text: INITCAP word boundaries,
-- UPPER / LOWER of ß and accents, REVERSE of multi-byte text, REPEAT with a column count
-- (0, negative), ELT with an out-of-range index, ASCII / CHR, CONCAT with a NULL argument, CHAR_LENGTH.
CREATE TABLE t (id INT, s STRING, n INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  INITCAP(s) AS ic,
  UPPER(s) AS up,
  LOWER(s) AS lo,
  REVERSE(s) AS rev,
  REPEAT(SUBSTRING(s, 1, 2), n) AS rep,
  ELT(n, 'a', 'b', 'c') AS elt_n,
  ASCII(s) AS asc_s,
  CHR(n + 96) AS chr_n,
  CONCAT(s, '#', CAST(NULL AS STRING)) AS cat_null,
  CHAR_LENGTH(s) AS len
FROM t;
