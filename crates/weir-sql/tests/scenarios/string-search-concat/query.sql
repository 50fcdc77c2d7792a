-- LOCATE / POSITION of an empty needle, from a start position, on multi-byte text; TRIM with
-- a multi-character set, TRIM of tabs and newlines (only spaces are trimmed by default);
-- CONCAT with a NULL, CONCAT_WS with a NULL separator and empty strings, || with numbers cast.
CREATE TABLE t (id INT, s STRING, sep STRING, a STRING, n INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, loc_a INT, loc_empty INT, loc_from INT, pos_u INT, tr STRING, tr_set STRING, tr_lead STRING,
  ltr STRING, rtr STRING, cat STRING, cat_ws STRING, cat_ws_lit STRING, pipes STRING, tr_len INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  LOCATE('a', s),
  LOCATE('', s),
  LOCATE('a', s, n),
  POSITION('u' IN s),
  TRIM(s),
  TRIM(BOTH 'xa' FROM s),
  TRIM(LEADING ' b' FROM s),
  '[' || LTRIM(s) || ']',
  '[' || RTRIM(s) || ']',
  CONCAT(s, a, CAST(n AS STRING)),
  CONCAT_WS(sep, a, s, a),
  CONCAT_WS('|', a, CAST(NULL AS STRING), '', s),
  CAST(n AS STRING) || '#' || COALESCE(a, 'NULL'),
  CHAR_LENGTH(TRIM(s))
FROM t;
