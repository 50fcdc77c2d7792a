-- Edge cases of the encoding, formatting and collection functions: UNHEX of an odd digit
-- count and of a non-hex character, URL_DECODE of a malformed escape, PRINTF conversions
-- (%e %g %, %+ %- %S %b %o %c %( and HALF_UP rounding of doubles and decimals), JSON_QUOTE of
-- '/' and a character beyond the BMP, REGEXP_EXTRACT_ALL group 0 / 2 / missing, ARRAY_SLICE
-- with end 0, ARRAY_SORT descending with NULLs first, MAP_UNION of three maps, DATE_FORMAT Q/W.
CREATE TABLE t (id INT, s STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, unhex_odd STRING, unhex_bad BOOLEAN, dec_bad STRING, dec_utf8 STRING, enc STRING, pf1 STRING, pf_round STRING, pf_types STRING, pf_index STRING, q STRING, uq STRING, all2 ARRAY<STRING>, all0 ARRAY<STRING>, all3 ARRAY<STRING>, sub_none STRING, slice_0 ARRAY<INT>, sort_dnf ARRAY<STRING>, uni3 MAP<STRING, INT>, qw STRING, w5 STRING, sw BOOLEAN, ew_empty BOOLEAN
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  TO_BASE64(CAST(UNHEX('A4142') AS STRING)) || '|' || TO_BASE64(CAST(UNHEX('5') AS STRING)) || '|' || COALESCE(TO_BASE64(CAST(UNHEX('G41') AS STRING)), 'null'),
  UNHEX('4g') IS NULL,
  URL_DECODE('bad%2'),
  URL_DECODE('%E6%97%A5+x'),
  URL_ENCODE(s),
  PRINTF('%e|%g|%,d|%+d|%-6s|%S|%b|%o|%c|%08.3f|%(d', CAST(12345.678 AS DOUBLE), CAST(0.0001234 AS DOUBLE), 1234567, 5, 'ab', 'xy', CAST(NULL AS STRING), 8, 65, CAST(-3.14159 AS DOUBLE), -42),
  PRINTF('%.1f %.2f %.0f %.1f', CAST(0.05 AS DOUBLE), CAST(1.005 AS DOUBLE), CAST(2.5 AS DOUBLE), CAST(0.25 AS DOUBLE)),
  PRINTF('%s %s %s %d %x', 1.50, CAST(1.5 AS DOUBLE), TRUE, CAST(5 AS BIGINT), CAST(-1 AS TINYINT)),
  PRINTF('%2$s-%1$s %%', 'a', 'b'),
  JSON_QUOTE(s),
  JSON_UNQUOTE(JSON_QUOTE('tab	é/"')) || '|' || JSON_UNQUOTE('"\u00e9"') || '|' || JSON_UNQUOTE('"bad \x"'),
  REGEXP_EXTRACT_ALL('a1b22', '(\d)(\d)?', 2),
  REGEXP_EXTRACT_ALL('a1b22', '(\d)(\d)?', 0),
  REGEXP_EXTRACT_ALL('a1b22', '(\d)(\d)?', 3),
  REGEXP_SUBSTR('no match', '\d'),
  ARRAY_SLICE(ARRAY[1, 2, 3], 1, 0),
  ARRAY_SORT(ARRAY['b', CAST(NULL AS STRING), 'a'], FALSE, TRUE),
  MAP_UNION(MAP['a', 1], MAP['b', 2], MAP['a', 3]),
  DATE_FORMAT(TIMESTAMP '2024-06-02 00:00:00', 'W QQQ QQQQ'),
  DATE_FORMAT(TIMESTAMP '2024-11-30 00:00:00', 'W q'),
  STARTSWITH(s, 'a/'),
  ENDSWITH(s, '')
FROM t;
